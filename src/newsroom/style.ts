/**
 * The newsroom's one stylesheet, served as a file (the pages carry no inline style or script). Its
 * colours and fonts are the email template's (templates/press-release.mjml): text #222222,
 * headings #111111, links #1a56a8, quotes #444444 on #cccccc; the same dark palette.
 */
export const NEWSROOM_CSS = `:root { color-scheme: light dark; }
body { margin: 0; font: 17px/1.55 Helvetica, Arial, sans-serif; color: #222222; background: #f4f4f4; }
.skip { position: absolute; left: -999px; top: 0; background: #ffffff; padding: 8px 12px; }
.skip:focus { left: 8px; z-index: 1; }
header.site, footer.site, nav.languages, main { max-width: 42rem; margin: 0 auto; padding: 12px 20px; box-sizing: border-box; }
header.site a { font-weight: bold; color: #111111; text-decoration: none; }
main { background: #ffffff; padding: 24px 20px 32px; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 0 0 8px; color: #111111; }
h2 { font-size: 1.15rem; line-height: 1.3; margin: 24px 0 8px; color: #111111; }
a { color: #1a56a8; text-decoration: underline; }
a:focus-visible { outline: 3px solid #1a56a8; outline-offset: 2px; }
.published, .dateline { color: #555555; font-size: 0.9rem; margin: 0 0 16px; }
.lead { font-size: 1.1rem; font-weight: bold; }
img { max-width: 100%; height: auto; }
blockquote { margin: 0 0 16px; padding: 0 0 0 14px; border-left: 3px solid #cccccc; color: #444444; }
[dir="rtl"] blockquote { padding: 0 14px 0 0; border-left: 0; border-right: 3px solid #cccccc; }
.pl-table { overflow-x: auto; max-width: 100%; }
nav.languages ul, ul.releases { list-style: none; margin: 0; padding: 0; }
nav.languages li { display: inline-block; margin: 0 12px 0 0; }
ul.releases li { border-bottom: 1px solid #e4e4e4; padding: 8px 0; }
ul.releases h2 { margin: 8px 0 4px; }
@media (prefers-color-scheme: dark) {
  body { background: #121212; color: #e6e6e6; }
  main { background: #1e1e1e; }
  h1, h2, header.site a { color: #e6e6e6; }
  a { color: #8ab4f8; }
  .published, .dateline { color: #b0b0b0; }
  blockquote { color: #c8c8c8; border-color: #555555; }
  .skip { background: #1e1e1e; }
}
`;
