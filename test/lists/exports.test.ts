/**
 * Lists in the shapes common tools export (issue 16, item 4): one fixture per export shape, each
 * loaded with the right title, first and last name, outlet, tags and language.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { PresslineError } from '../../src/errors.js';
import type { Contact } from '../../src/lists/contact.js';
import { type ListReport, readContacts } from '../../src/lists/load.js';
import { loadRelease } from '../../src/releases/load.js';
import { compileRelease } from '../../src/render/compile.js';

const TMP = join('test/.tmp', `lists-exports-${process.pid}`);
mkdirSync(TMP, { recursive: true });
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const fx = (name: string): string => `test/fixtures/lists/${name}`;

/** The parts of a contact this issue is about, in one comparable row. */
type Row = [email: string, title: string, first: string, last: string, outlet: string, tags: string[], language: string];
const row = (c: Contact): Row => [c.email, c.title ?? '', c.firstName, c.lastName, c.outlet, c.tags, c.language];

async function load(name: string, encoding?: string): Promise<{ report: ListReport; rows: Row[]; contacts: Contact[] }> {
  const { report, contacts } = await readContacts([fx(name)], encoding === undefined ? {} : { encoding });
  return { report, rows: contacts.map(row), contacts };
}

describe('exports from address books and mailing tools', () => {
  it('Google Contacts: "E-mail 1 - Value", Given/Family Name, Name Prefix, Organization 1 - Name, Group Membership', async () => {
    const { report, rows } = await load('export-google-contacts.csv');
    expect(report.invalid).toEqual([]);
    expect(rows).toEqual([
      ['anna.schmidt@tagesblatt.example', 'Dr.', 'Anna', 'Schmidt', 'Tagesblatt Zürich', ['Press', 'EU Affairs'], 'de-ch'],
      ['p.lefevre@quotidien-du-lac.example', '', 'Pierre', 'Lefèvre', 'Le Quotidien du Lac', ['Press'], 'fr'],
      // No Name Prefix: the title comes off the full "Name" column, never into the first name.
      ['helga.nystrom@vetenskapsbladet.example', 'Prof.', 'Helga', 'Nyström', 'Vetenskapsbladet', ['Research'], 'sv'],
    ]);
    expect(report.columns).toContain('E-mail 2 - Value'); // a second address is kept, not a second email column
    // Google's legacy export has an always-empty "Subject" beside "Group Membership": the choice is reported.
    expect(report.notes).toContainEqual(expect.objectContaining({ column: 'Subject', text: expect.stringContaining('"Group Membership" is used') }));
  });

  it('French Outlook (Windows-1252): Adresse de messagerie, Titre beside Fonction, Prénom/Nom, Société, Catégories', async () => {
    const { report, rows } = await load('export-outlook-fr.csv', 'windows-1252');
    expect(report.invalid).toEqual([]);
    expect(rows).toEqual([
      ['jean.dupont@courrier-geneve.example', 'M.', 'Jean', 'Dupont', 'Le Courrier de Genève', ['Presse', 'Suisse'], 'fr-ch'],
      ['claire.martin-roux@echos-nord.example', 'Mme', 'Claire', 'Martin-Roux', 'Les Échos du Nord', ['Presse', 'Affaires UE'], 'fr-be'],
      ['s.bernard@revue-sante.example', 'Pr', 'Sophie', 'Bernard', 'Revue Santé Publique', ['Santé'], 'de'],
    ]);
    expect(report.columns).toContain('Fonction');
  });

  it('Spanish Outlook: Dirección de correo electrónico, Tratamiento, Nombre/Apellidos, Organización, Idioma', async () => {
    const { report, rows } = await load('export-outlook-es.csv');
    expect(report.invalid).toEqual([]);
    expect(rows).toEqual([
      ['maria.garcia@diariodelpuerto.example', 'Sra.', 'María', 'García López', 'Diario del Puerto', ['Prensa', 'Economía'], 'es-mx'],
      ['javier.ruiz@radiomeridiana.example', 'Dr.', 'Javier', 'Ruiz Ortega', 'Radio Meridiana', ['Prensa'], 'ca'],
    ]);
  });

  it('German Outlook: E-Mail-Adresse, Anrede, Vorname/Nachname, Firma, Kategorien; "Prof. Dr. med." in the first name', async () => {
    const { report, rows } = await load('export-outlook-de.csv');
    expect(report.invalid).toEqual([]);
    expect(rows).toEqual([
      ['thomas.becker@abendpost.example', 'Herr', 'Thomas', 'Becker', 'Rheinische Abendpost', ['Presse', 'Wirtschaft'], 'de'],
      ['k.vogel@ostsee-kurier.example', 'Frau Dr.', 'Katrin', 'Vogel', 'Ostsee-Kurier', ['Presse'], 'de-at'],
      ['ulrich.hahn@aerzteblatt-sued.example', 'Prof. Dr. med.', 'Ulrich', 'Hahn', 'Ärzteblatt Süd', ['Gesundheit'], 'de'],
    ]);
  });

  it('Mailchimp: TAGS in quoted form, "Company" as outlet, a title in First Name', async () => {
    const { report, rows, contacts } = await load('export-mailchimp.csv');
    expect(report.invalid).toEqual([]);
    expect(rows).toEqual([
      ['lotte.janssens@brusselsbrief.example', '', 'Lotte', 'Janssens', 'Brussels Brief', ['Press', 'EU Affairs'], ''],
      ['marek.nowak@gazeta-polnocna.example', 'Prof.', 'Marek', 'Nowak', 'Gazeta Północna', ['Press'], ''],
      ['sam.okafor@lagosledger.example', '', 'Sam', 'Okafor', 'Lagos Ledger', ['Energy, Climate', 'Press'], ''],
    ]);
    expect(contacts[0]!.timeZone).toBe('Europe/Brussels');
    const press = await readContacts([fx('export-mailchimp.csv')], { where: ['beat=Press'] });
    expect(press.report.matched).toBe(3);
    const eu = await readContacts([fx('export-mailchimp.csv')], { where: ['tags=eu affairs'] });
    expect(eu.contacts.map((c) => c.email)).toEqual(['lotte.janssens@brusselsbrief.example']);
  });

  it('media database (Muck Rack-like): "Contact Name" with titles, "Outlets", a job "Title" kept as an extra column', async () => {
    const { report, rows, contacts } = await load('export-muckrack.csv');
    expect(report.invalid).toEqual([]);
    expect(rows).toEqual([
      ['ingrid.halvorsen@nordicpolicy.example', 'Dr.', 'Ingrid', 'Halvorsen', 'Nordic Policy Review', ['EU Affairs', 'Energy'], 'en-gb'],
      ['d.oconnor@dublinwire.example', 'Mr', 'Daniel', "O'Connor", 'Dublin Evening Wire', ['Politics'], 'en'],
      ['li.wei@asiamarkets.example', '', 'Li', 'Wei', 'Asia Markets Daily', ['Markets'], 'zh-hans'],
      ['jonas.weber@wissenschaft-heute.example', 'Prof. Dr.', 'Jonas', 'Weber', 'Wissenschaft Heute', ['Science'], 'pt-br'],
      // After a title, a lone word is the surname ("Dear Dr. Okonkwo").
      ['okonkwo@accrareview.example', 'Dr.', '', 'Okonkwo', 'Accra Review', ['Health'], 'en'],
    ]);
    expect(contacts[0]!.extra).toMatchObject({ Title: 'Senior Correspondent' });
  });

  it('Excel "sep=;" first line: that delimiter, the line skipped, line numbers still physical', async () => {
    const { report, rows, contacts } = await load('export-excel-sep.csv');
    expect(report.rows).toBe(4);
    expect(report.invalid).toEqual([{ file: fx('export-excel-sep.csv'), line: 5, reason: 'invalid email "not-an-address": no "@"' }]);
    expect(rows).toEqual([
      ['julia.schneider@abendzeitung-nord.example', '', 'Julia', 'Schneider', 'Abendzeitung Nord', [], 'de'],
      ['m.krause@stadtanzeiger.example', '', 'Martin', 'Krause', 'Stadtanzeiger', [], 'de'],
      ['paul.lindner@landbote.example', '', 'Paul', 'Lindner', 'Landbote', [], 'de-ch'],
    ]);
    expect(contacts.map((c) => c.source.line)).toEqual([3, 4, 6]);
  });
});

describe('lists written by hand in other languages', () => {
  it('French Prénom/Nom: "Nom" is the surname; a "Nom" holding the full name is read and reported', async () => {
    const { report, rows } = await load('export-prenom-nom.csv');
    expect(report.invalid).toEqual([]);
    expect(rows).toEqual([
      ['elise.moreau@radio-littoral.example', 'Mme', 'Élise', 'Moreau', 'Radio Littoral', ['Culture', 'Europe'], 'fr'],
      ['luc.garnier@hebdo-alpes.example', '', 'Luc', 'Garnier', 'Hebdo des Alpes', ['Presse'], 'fr'],
      ['karim.benali@media-citoyen.example', 'M.', 'Karim', 'Benali', 'Média Citoyen', ['Société'], 'ar'],
    ]);
    expect(report.notes).toEqual([
      { file: fx('export-prenom-nom.csv'), line: 3, column: 'Nom', text: 'holds the full name (it starts with the first name); read "Garnier" as the last name' },
    ]);
  });

  it('German Vorname/Name: "Name" is the surname, "Medium" the outlet, a region in German', async () => {
    const { report, rows, contacts } = await load('export-vorname-name.csv');
    expect(report.invalid).toEqual([]);
    expect(report.notes).toEqual([]); // Vorname beside Name is not ambiguous
    expect(rows).toEqual([
      ['felix.zimmermann@wochenspiegel.example', 'Herr', 'Felix', 'Zimmermann', 'Wochenspiegel Graz', [], 'de-at'],
      ['m.schulz-brandt@zas.example', 'Frau', 'Miriam', 'Schulz-Brandt', 'Zeitung am Sonntag', [], 'de'],
    ]);
    // The formal greeting a German release asks for: "{{ title }} {{ last_name }}" as a merge field.
    const source = readFileSync('test/fixtures/releases/merge-fields.md', 'utf8')
      .replace(/^greeting: .*$/m, 'greeting: "Guten Tag {{ title }} {{ last_name }},"')
      .replace(/\{\{ desk \| "general" \}\} \(\{\{ Desk \}\}\)\. /, '');
    const file = join(TMP, 'formal.md');
    writeFileSync(file, source);
    const config = validateConfig({});
    const compiled = await compileRelease(await loadRelease(file, config), { config, now: new Date('2026-11-28T12:00:00Z') });
    const greetings = contacts.map((c) => compiled.variants[0]!.render(c).text.split('\n').find((l) => l.startsWith('Guten Tag')));
    expect(greetings).toEqual(['Guten Tag Herr Zimmermann,', 'Guten Tag Frau Schulz-Brandt,']);
  });

  it('Spanish Nombre/Apellido and Italian Nome/Cognome: first and last name, Medio/Testata as outlet, Etiquetas/Tag', async () => {
    const es = await load('export-nombre-apellido.csv');
    expect(es.report.invalid).toEqual([]);
    expect(es.rows).toEqual([
      ['andres.molina@vozdelsur.example', 'Sr.', 'Andrés', 'Molina', 'La Voz del Sur', ['Prensa', 'Cultura'], 'es'],
      ['lucia.fernandez@cronica-norte.example', '', 'Lucía', 'Fernández', 'Crónica del Norte', ['Prensa'], 'pt-br'],
    ]);
    const it = await load('export-nome-cognome.csv');
    expect(it.report.invalid).toEqual([]);
    expect(it.rows).toEqual([
      ['giulia.bianchi@gazzettaligure.example', 'Dott.ssa', 'Giulia', 'Bianchi', 'Gazzetta Ligure', ['Stampa', 'Economia'], 'it'],
      ['marco.conti@corriereadriatico.example', 'Sig.', 'Marco', 'Conti', 'Corriere Adriatico', ['Stampa'], 'it'],
    ]);
  });
});

describe('cell contents', () => {
  it('language names with regions and scripts, in English and other languages; the rest refused naming the column', async () => {
    const { report, contacts } = await readContacts([fx('export-languages.csv')]);
    expect(contacts.map((c) => [c.email[0], c.language])).toEqual([
      ['a', 'fr-ch'], ['b', 'zh-hans'], ['c', 'pt-br'], ['d', 'zh-hant-tw'], ['e', 'sr-latn'],
      ['f', 'es'], ['g', 'ru'], ['h', 'fr-ca'], ['i', 'es-419'],
    ]);
    expect(report.invalid.map((p) => [p.line, p.reason])).toEqual([
      [11, 'column "Language": language "English (Atlantis)": "Atlantis" is not a region or script (use e.g. "French (Switzerland)" or "fr-CH")'],
      [12, 'column "Language": language "Elvish (Rivendell)": "Elvish" is not a language name (use e.g. "French (Switzerland)" or "fr-CH")'],
    ]);
  });

  it('zero-width and bidi characters: removed from addresses before validation and dedupe, trimmed from other fields', async () => {
    const { report, contacts } = await readContacts([fx('export-invisible.csv')]);
    expect(report.invalid).toEqual([]);
    expect(contacts.map((c) => [c.email, c.key, c.firstName, c.outlet])).toEqual([
      ['nina.petrova@balticpost.example', 'nina.petrova@balticpost.example', 'Nina', 'Baltic Post'],
      ['olaf.berg@fjordnytt.example', 'olaf.berg@fjordnytt.example', 'Olaf', 'Fjord Nytt'],
      ['tomas.kral@pragueobserver.example', 'tomas.kral@pragueobserver.example', 'Tomáš', 'Prague Observer'],
      ['ana.lima@diariolisboa.example', 'ana.lima@diariolisboa.example', 'Ana', 'Diário de Lisboa'],
    ]);
    expect(report.duplicates).toEqual([
      { file: fx('export-invisible.csv'), line: 5, email: 'nina.petrova@balticpost.example', first: { file: fx('export-invisible.csv'), line: 2 } },
    ]);
  });

  it('what stays ambiguous is reported with its column (and line), not guessed silently', async () => {
    const { report, contacts } = await readContacts([fx('export-ambiguous.csv')]);
    const file = fx('export-ambiguous.csv');
    expect(report.notes).toEqual([
      { file, column: 'Name', text: 'read as the last name (it stands beside a first-name column); a cell holding the full name is reported' },
      { file, column: 'Company', text: 'could also be the outlet; "Publication" is used and this one is kept as an extra column (rename one to choose)' },
      { file, line: 3, column: 'Name', text: 'holds the full name (it starts with the first name); read "Lund" as the last name' },
    ]);
    expect(report.invalid).toEqual([
      { file, line: 4, reason: 'column "Language": language "Elvish (Rivendell)": "Elvish" is not a language name (use e.g. "French (Switzerland)" or "fr-CH")' },
    ]);
    expect(contacts.map((c) => [c.firstName, c.lastName, c.outlet, c.extra.Company])).toEqual([
      ['Anna', 'Berg', 'Nordlicht', 'Nordlicht Media Group'],
      ['Erik', 'Lund', 'Nordlicht Kväll', 'Nordlicht Media Group'],
    ]);
  });

  it('keeps notes bounded: a list of full names in "Name" lists 200 and counts the rest', async () => {
    const file = join(TMP, 'many.csv');
    const rows = Array.from({ length: 250 }, (_, i) => `p${i}@paper.example,Pat,Pat Doe${i}`);
    writeFileSync(file, ['Email,First Name,Name', ...rows].join('\n') + '\n');
    const { report, contacts } = await readContacts([file]);
    expect(contacts[249]!.lastName).toBe('Doe249');
    expect(report.notes).toHaveLength(201);
    expect(report.notes[200]).toEqual({ file: '', column: '', text: '51 more notes like these were not listed' });
  });

  it('refuses a sep= line naming a delimiter it cannot split on, in one line at line 1', async () => {
    const file = join(TMP, 'colon.csv');
    writeFileSync(file, 'sep=:\nEmail:Name\nanna@paper.example:Anna\n');
    const err = await readContacts([file]).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(PresslineError);
    expect((err as PresslineError).location).toEqual({ file, line: 1 });
    expect((err as PresslineError).message).toContain('names a delimiter other than comma, semicolon, tab or "|"');
  });
});
