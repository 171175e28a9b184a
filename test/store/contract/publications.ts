// Publications: the newsroom's snapshot. Rows are read only at or after their publication time; a
// republish keeps the first time and slug and takes the new text; a page name is unique per language.
import { expect, it } from 'vitest';
import type { PublicationInput } from '../../../src/store/types.js';
import { at, type Opened } from './harness.js';

const page = (language: string, over: Partial<PublicationInput> = {}): PublicationInput => ({
  releaseKey: 'communiqués/sommet-ue–russie.md', language, slug: `sommet-ue-russie-0a1b2c3d`, title: language === 'ru' ? 'Саммит ЕС–Россия' : 'Sommet « UE–Russie »',
  summary: language === 'ar' ? 'قمة' : undefined, articleHtml: '<p>Texte &amp; <em>été</em></p>', campaignId: 7, fingerprint: 'f1', ...over,
});

export function publicationsContract(open: () => Opened): void {
  it('published rows are visible from their time on, newest first, by language and by release; a republish keeps the first time and slug', async () => {
    const { store, other } = open();
    expect(await store.publication('fr', 'sommet-ue-russie-0a1b2c3d', at(10_000))).toBeUndefined();
    await store.publishRelease([page('fr'), page('ru'), page('ar')], at(1000));
    // Before its time (a clock behind the writer's) a row is as absent as a missing one.
    expect(await store.publication('fr', 'sommet-ue-russie-0a1b2c3d', at(999))).toBeUndefined();
    expect(await store.publications({ language: 'fr' }, at(999))).toEqual([]);
    const fr = await store.publication('fr', 'sommet-ue-russie-0a1b2c3d', at(1000));
    expect(fr).toEqual({ ...page('fr'), publishedAt: at(1000), updatedAt: at(1000) });
    expect(await store.publication('de', 'sommet-ue-russie-0a1b2c3d', at(1000))).toBeUndefined();
    expect(await store.publication('fr', 'sommet-ue-russie-00000000', at(1000))).toBeUndefined();

    await store.publishRelease([page('fr', { releaseKey: 'autre.md', slug: 'autre-ffffffff', title: 'Autre' })], at(2000));
    expect((await store.publications({ language: 'fr' }, at(3000))).map((p) => p.slug)).toEqual(['autre-ffffffff', 'sommet-ue-russie-0a1b2c3d']);
    expect((await store.publications({ language: 'fr', limit: 1 }, at(3000))).map((p) => p.slug)).toEqual(['autre-ffffffff']);
    expect((await store.publications({ releaseKey: page('fr').releaseKey }, at(3000))).map((p) => p.language)).toEqual(['ar', 'fr', 'ru']);
    expect((await other().publications({}, at(3000))).length).toBe(4);

    // A later campaign: new text, same URL, first time kept.
    await store.publishRelease([page('ru', { slug: 'changed-12345678', title: 'Саммит (обновлено)', campaignId: 9, fingerprint: 'f2' })], at(5000));
    expect(await store.publication('ru', 'sommet-ue-russie-0a1b2c3d', at(5000))).toEqual({
      ...page('ru'), title: 'Саммит (обновлено)', campaignId: 9, fingerprint: 'f2', publishedAt: at(1000), updatedAt: at(5000),
    });
    // Two releases cannot share a page name in one language.
    await expect(store.publishRelease([page('fr', { releaseKey: 'troisième.md' })], at(6000))).rejects.toThrow();
    expect((await store.publications({ language: 'fr' }, at(7000))).length).toBe(2);
  });

  it('unpublishRelease deletes every language of one release, counts them, and leaves other releases alone', async () => {
    const { store, other } = open();
    await store.publishRelease([page('fr'), page('ru')], at(1000));
    await store.publishRelease([page('fr', { releaseKey: 'autre.md', slug: 'autre-ffffffff', title: 'Autre' })], at(2000));
    expect(await store.unpublishRelease(page('fr').releaseKey)).toBe(2);
    expect(await store.publication('fr', 'sommet-ue-russie-0a1b2c3d', at(3000))).toBeUndefined();
    expect(await other().publications({ releaseKey: page('fr').releaseKey }, at(3000))).toEqual([]);
    expect((await store.publications({}, at(3000))).map((p) => p.slug)).toEqual(['autre-ffffffff']);
    // Again, or a release never published: nothing to delete.
    expect(await store.unpublishRelease(page('fr').releaseKey)).toBe(0);
    expect(await store.unpublishRelease('jamais.md')).toBe(0);
    // Published again after removal: a fresh first publication time.
    await store.publishRelease([page('fr')], at(4000));
    expect((await store.publication('fr', 'sommet-ue-russie-0a1b2c3d', at(4000)))?.publishedAt).toEqual(at(4000));
  });
}
