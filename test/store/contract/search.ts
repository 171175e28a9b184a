// Dashboard search (queryDeliveries' `search`): a case-insensitive substring of the address or the
// outlet, folded the same way on both engines whatever the script (issue 18).
import { expect, it } from 'vitest';
import type { Contact } from '../../../src/lists/contact.js';
import { CAMPAIGN, contact, T0, type Opened } from './harness.js';

export function searchContract(open: () => Opened): void {
  it('search folds case the same for accented, Cyrillic and Greek text, in addresses and outlets', async () => {
    const { store } = open();
    const id = await store.createCampaign(CAMPAIGN, T0);
    const oeko: Contact = { ...contact(3, 'öko-test.example'), outlet: 'ÖKO-TEST Magazin' };
    const capitals: Contact = { ...contact(9), outlet: 'L’ÉCONOMISTE' };
    const greek: Contact = { ...contact(10), outlet: 'Ο Οδυσσεύς' };
    const radio: Contact = { ...contact(11, 'presse.example'), outlet: 'Radio [FM]* Live? 100%_\\ ſtraße' };
    await store.addDeliveries(id, [contact(0), contact(1), contact(2), oeko, contact(4), capitals, greek, radio], 'pending', T0);
    const found = async (search: string) => (await store.queryDeliveries(id, { search, limit: 50, offset: 0 })).rows.map((r) => r.email);
    const economie = [contact(0).email, capitals.email];
    expect(await found('économie')).toEqual([contact(0).email]);
    expect(await found('ÉCONOMIE')).toEqual([contact(0).email]);
    expect(await found('Écono')).toEqual(economie);
    expect(await found('öko')).toEqual([oeko.email]);
    expect(await found('ÖKO')).toEqual([oeko.email]);
    expect(await found('НОВАЯ')).toEqual([contact(1).email]);
    expect(await found('καθημερινή')).toEqual([contact(4).email]);
    expect(await found('ΚΑΘΗΜΕΡΙΝΉ')).toEqual([contact(4).email]);
    // Final sigma: capitals have one sigma, lower case two.
    expect(await found('ΟΔΥΣΣΕΎΣ')).toEqual([greek.email]);
    // An address as written (Unicode domain) or as keyed (punycode), in any case.
    expect(await found('@BÜCHER.example')).toEqual([contact(2).email]);
    expect(await found('XN--BCHER')).toEqual([contact(2).email]);
    expect(await found('  J1@новости ')).toEqual([contact(1).email]);
    // Decomposed input (e + combining acute) is the same text as the precomposed one.
    expect(await found('e\u0301conomie')).toEqual([contact(0).email]);
    // Wildcards and the characters special to LIKE, GLOB or regular expressions are text.
    for (const text of ['%', '_', '[fm]', '* LIVE?', '100%_\\', ']']) expect(await found(text), text).toEqual([radio.email]);
    expect(await found('.*')).toEqual([]);
    expect(await found('KO-T')).toEqual([oeko.email]);
    // Long s folds with s (as Unicode case folding has it); ß is left alone (its upper case is two letters).
    expect(await found('STRASSE')).toEqual([]);
    expect(await found('STRAẞE')).toEqual([radio.email]);
    expect((await store.queryDeliveries(id, { search: 'Économie', limit: 1, offset: 0 })).total).toBe(1);
  });
}
