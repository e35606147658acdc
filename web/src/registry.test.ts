// The pure part of the registry forms (registry.ts): the request an upload
// makes, the server's answers in words, and the delivery form's checks, held
// to what internal/server/guarantees.go and internal/guarantee accept.
import { describe, expect, test } from 'vitest';
import { checkDelivery, type DeliveryFields, describeLoaded, forDelivery, isDay, measure, newDeliveryId, refusal, sameDelivery, uploadRequest } from './registry';

describe('uploadRequest', () => {
  test.each([
    { kind: 'registry' as const, text: 'guarantors: []\n', file: 'registry.yaml', type: 'application/yaml' },
    { kind: 'registry' as const, text: 'guarantors: []\n', file: 'REGISTRY.YML', type: 'application/yaml' },
    { kind: 'registry' as const, text: '{"guarantors": []}', file: 'registry.json', type: 'application/json' },
    { kind: 'registry' as const, text: '{"guarantors": []}', file: 'Registry.JSON', type: 'application/json' },
    // Pasted text: JSON when it opens as JSON does, YAML otherwise (the server reads both alike).
    { kind: 'registry' as const, text: '  {"guarantors": []}', file: undefined, type: 'application/json' },
    { kind: 'registry' as const, text: '- a\n', file: undefined, type: 'application/yaml' },
    { kind: 'registry' as const, text: '[]', file: undefined, type: 'application/json' },
    { kind: 'commitments' as const, text: 'id,instrument\n', file: 'commitments.csv', type: 'text/csv' },
    { kind: 'commitments' as const, text: 'id,instrument\n', file: undefined, type: 'text/csv' },
  ])('$kind $file: $type', ({ kind, text, file, type }) => {
    expect(uploadRequest(kind, text, file)).toEqual({ path: '/api/v1/registry', contentType: type, body: text });
  });

  test.each([
    { kind: 'registry' as const, text: '', want: /YAML or JSON/ },
    { kind: 'registry' as const, text: ' \n\t', want: /YAML or JSON/ },
    { kind: 'commitments' as const, text: '\n', want: /CSV file/ },
  ])('$kind with nothing to send says so', ({ kind, text, want }) => {
    const r = uploadRequest(kind, text);
    expect(typeof r).toBe('string');
    expect(r).toMatch(want);
  });
});

describe('describeLoaded', () => {
  test.each([
    { out: { guarantors: 3, instruments: 2, commitments: 3 }, file: 'registry.yaml', want: 'Loaded 3 guarantors, 2 instruments and 3 commitments from registry.yaml: each replaces the record with the same code or id, or is added.' },
    { out: { guarantors: 0, instruments: 0, commitments: 1 }, file: 'commitments.csv', want: 'Loaded 1 commitment from commitments.csv: each replaces the record with the same code or id, or is added.' },
    { out: { guarantors: 1, instruments: 1, commitments: 0 }, file: undefined, want: 'Loaded 1 guarantor and 1 instrument: each replaces the record with the same code or id, or is added.' },
    { out: { commitments: 2 }, file: undefined, want: 'Loaded 2 commitments: each replaces the record with the same code or id, or is added.' },
    { out: { guarantors: 0, instruments: 0, commitments: 0 }, file: 'empty.yaml', want: 'The file empty.yaml held no record: nothing changed.' },
    { out: {}, file: undefined, want: 'The file held no record: nothing changed.' },
  ])('$out', ({ out, file, want }) => {
    expect(describeLoaded(out, file)).toBe(want);
  });
});

describe('refusal', () => {
  test.each([
    {
      name: 'YAML, several problems (the form of docs/registry-formats.md, as the API client capitalises it)',
      msg: 'Request body: 3 problems:\n\tcommitments[0].allocated: 500 is more than committed 400\n\tcommitments[1].guarantor: FRA is not a signatory of instrument "gbr-ukr-example" (GBR, UKR)\n\tinstruments[0].clauses[0].obligations[0].guarantor: no guarantor "DEU" in the registry',
      heading: '3 problems, nothing was loaded:',
      problems: [
        { where: 'commitments[0].allocated', what: '500 is more than committed 400' },
        { where: 'commitments[1].guarantor', what: 'FRA is not a signatory of instrument "gbr-ukr-example" (GBR, UKR)' },
        { where: 'instruments[0].clauses[0].obligations[0].guarantor', what: 'no guarantor "DEU" in the registry' },
      ],
    },
    {
      name: 'CSV, several problems named by line and column',
      msg: 'Reading commitments: 2 problems:\n\tline 3, column 13 (committed): want a number such as 1500 or 2.5, with a decimal point and no thousands separators, got "1,500"\n\tline 4, column 14 (allocated): 500 is more than committed 400',
      heading: '2 problems, nothing was loaded:',
      problems: [
        { where: 'line 3, column 13 (committed)', what: 'want a number such as 1500 or 2.5, with a decimal point and no thousands separators, got "1,500"' },
        { where: 'line 4, column 14 (allocated)', what: '500 is more than committed 400' },
      ],
    },
    {
      name: 'CSV, a problem of a whole line and one without a place',
      msg: 'Reading commitments: 2 problems:\n\tline 5: commitment id "x" is given twice\n\tmissing column "committed"',
      heading: '2 problems, nothing was loaded:',
      problems: [{ where: 'line 5', what: 'commitment id "x" is given twice' }, { what: 'missing column "committed"' }],
    },
    {
      name: 'one problem alone, of the merged registry',
      msg: 'Commitments[4].instrument: no instrument "example-decl" in the registry',
      heading: 'Refused, nothing was loaded:',
      problems: [{ where: 'commitments[4].instrument', what: 'no instrument "example-decl" in the registry' }],
    },
    {
      name: 'one CSV problem alone',
      msg: 'Reading commitments: line 2, column 4 (category): unknown category "tanks"',
      heading: 'Refused, nothing was loaded:',
      problems: [{ where: 'line 2, column 4 (category)', what: 'unknown category "tanks"' }],
    },
    {
      name: 'a refusal that names no place',
      msg: 'Content-Type "text/plain" is not accepted: send application/yaml, application/json or text/csv (commitments)',
      heading: 'Content-Type "text/plain" is not accepted: send application/yaml, application/json or text/csv (commitments)',
      problems: [],
    },
    // Answers the server gave in a test run (internal/server, POST /api/v1/registry).
    {
      name: 'YAML that does not parse',
      msg: 'Request body: line 1: did not find expected node content',
      heading: 'Refused, nothing was loaded:',
      problems: [{ where: 'line 1', what: 'did not find expected node content' }],
    },
    { name: 'a missing column', msg: 'Reading commitments: line 1 (committed): missing column', heading: 'Refused, nothing was loaded:', problems: [{ where: 'line 1 (committed)', what: 'missing column' }] },
    { name: 'an unknown YAML field', msg: 'Request body: guarantors[0].colour: unknown field', heading: 'Refused, nothing was loaded:', problems: [{ where: 'guarantors[0].colour', what: 'unknown field' }] },
    { name: 'not allowed', msg: 'Not allowed: role viewer may not keep the registry', heading: 'Not allowed: role viewer may not keep the registry', problems: [] },
    { name: 'the network', msg: 'The server cannot be reached. Check the network connection, then try again.', heading: 'The server cannot be reached. Check the network connection, then try again.', problems: [] },
    {
      name: 'carriage returns and blank lines are dropped',
      msg: 'Request body: 2 problems:\r\n\tguarantors[0].code: required\r\n\r\n\tguarantors[1].kind: want nation or organisation, got "state"',
      heading: '2 problems, nothing was loaded:',
      problems: [
        { where: 'guarantors[0].code', what: 'required' },
        { where: 'guarantors[1].kind', what: 'want nation or organisation, got "state"' },
      ],
    },
  ])('$name', ({ msg, heading, problems }) => {
    expect(refusal(msg)).toEqual({ heading, problems });
  });

  test('a refused delivery says nothing was recorded', () => {
    expect(refusal('Commitments[2].deliveries[1].amount: more than 0, got 0', 'nothing was recorded')).toEqual({
      heading: 'Refused, nothing was recorded:',
      problems: [{ where: 'commitments[2].deliveries[1].amount', what: 'more than 0, got 0' }],
    });
  });
});

describe('isDay', () => {
  test.each([
    ['2024-05-20', true],
    ['2024-02-29', true],
    ['2000-02-29', true],
    ['1900-02-29', false],
    ['2023-02-29', false],
    ['2024-04-31', false],
    ['2024-12-31', true],
    ['2024-13-01', false],
    ['2024-00-10', false],
    ['2024-01-00', false],
    ['0000-01-01', false],
    ['9999-12-31', true],
    ['2024-5-20', false],
    ['20-05-2024', false],
    ['2024/05/20', false],
    ['2024-05-20T00:00', false],
    ['', false],
  ])('%s is %s', (s, want) => {
    expect(isDay(s)).toBe(want);
  });
});

describe('checkDelivery', () => {
  const ok: DeliveryFields = { commitment: 'gbr-air-defence-1', date: '2024-05-20', amount: '120', note: 'first batch' };
  test.each([
    { name: 'a full delivery', f: ok, body: { date: '2024-05-20', amount: 120, note: 'first batch' } },
    { name: 'without a note, and trimmed', f: { ...ok, date: ' 2024-05-20 ', amount: ' 2.5 ', note: '  ' }, body: { date: '2024-05-20', amount: 2.5 } },
    { name: 'a decimal without a leading digit', f: { ...ok, amount: '.5', note: '' }, body: { date: '2024-05-20', amount: 0.5 } },
    { name: 'a large figure', f: { ...ok, amount: '1500000000', note: '' }, body: { date: '2024-05-20', amount: 1500000000 } },
  ])('$name is sent', ({ f, body }) => {
    expect(checkDelivery(f)).toEqual({ body, commitment: 'gbr-air-defence-1' });
  });

  test.each([
    { name: 'no commitment', f: { ...ok, commitment: '' }, field: 'commitment', want: /Choose the commitment/ },
    { name: 'no date', f: { ...ok, date: '' }, field: 'date', want: /every delivery is dated/ },
    { name: 'a date in another form', f: { ...ok, date: '20/05/2024' }, field: 'date', want: /YYYY-MM-DD.*"20\/05\/2024"/ },
    { name: 'a day that does not exist', f: { ...ok, date: '2023-02-29' }, field: 'date', want: /YYYY-MM-DD/ },
    { name: 'no amount', f: { ...ok, amount: '' }, field: 'amount', want: /Give the amount/ },
    { name: 'zero', f: { ...ok, amount: '0' }, field: 'amount', want: /more than 0/ },
    { name: 'zero with decimals', f: { ...ok, amount: '0.000' }, field: 'amount', want: /more than 0/ },
    { name: 'negative', f: { ...ok, amount: '-3' }, field: 'amount', want: /number such as 1500/ },
    { name: 'thousands separators', f: { ...ok, amount: '1,500,000' }, field: 'amount', want: /without thousands separators, such as 1500000\./ },
    { name: 'spaces between thousands', f: { ...ok, amount: '1 500' }, field: 'amount', want: /such as 1500\./ },
    { name: 'a decimal comma', f: { ...ok, amount: '2,5' }, field: 'amount', want: /with a point, such as 2\.5\./ },
    { name: 'an exponent', f: { ...ok, amount: '1.5e9' }, field: 'amount', want: /number such as 1500/ },
    { name: 'words', f: { ...ok, amount: 'twelve' }, field: 'amount', want: /"twelve"/ },
    { name: 'too large', f: { ...ok, amount: '9'.repeat(400) }, field: 'amount', want: /too large/ },
  ])('$name: $field', ({ f, field, want }) => {
    const r = checkDelivery(f);
    expect('problems' in r).toBe(true);
    if (!('problems' in r)) return;
    expect(Object.keys(r.problems)).toEqual([field]);
    expect(r.problems[field as keyof DeliveryFields]).toMatch(want);
  });

  test('every wrong field is named at once', () => {
    const r = checkDelivery({ commitment: '', date: 'tomorrow', amount: '0', note: '' });
    expect('problems' in r && Object.keys(r.problems).sort()).toEqual(['amount', 'commitment', 'date']);
  });
});

describe('measure', () => {
  test.each([
    { c: { currency: 'EUR', unit: 'systems' }, want: 'EUR' },
    { c: { unit: 'missiles' }, want: 'missiles' },
    { c: { currency: '', unit: '155mm shells' }, want: '155mm shells' },
    { c: {}, want: '' },
  ])('$c is counted in "$want"', ({ c, want }) => {
    expect(measure(c)).toBe(want);
  });
});

describe('sameDelivery', () => {
  const recorded = [
    { date: '2024-05-20', amount: 120, note: 'first batch' },
    { date: '2024-11-04', amount: 100 },
  ];
  test.each([
    { body: { date: '2024-05-20', amount: 120 }, want: recorded[0] },
    { body: { date: '2024-11-04', amount: 100, note: 'another note' }, want: recorded[1] },
    { body: { date: '2024-05-20', amount: 100 }, want: undefined },
    { body: { date: '2024-05-21', amount: 120 }, want: undefined },
  ])('$body', ({ body, want }) => {
    expect(sameDelivery(recorded, body)).toEqual(want);
  });
  test('no deliveries recorded', () => {
    expect(sameDelivery(undefined, { date: '2024-05-20', amount: 1 })).toBeUndefined();
  });
});

describe('forDelivery', () => {
  test.each([
    { where: 'commitments[1].deliveries[0].amount', want: 'the delivery’s amount' },
    { where: 'commitments[12].deliveries[3].date', want: 'the delivery’s date' },
    { where: 'commitments[12].deliveries[3]', want: 'the commitment’s deliveries' },
    { where: 'commitments[2].deliveries', want: 'the commitment’s deliveries' },
    { where: 'commitments[2].allocated', want: 'commitments[2].allocated' },
    { where: 'line 2', want: 'line 2' },
    { where: undefined, want: undefined },
  ])('$where', ({ where, want }) => {
    const p = where === undefined ? { what: 'x' } : { where, what: 'x' };
    expect(forDelivery({ heading: 'h', problems: [p] }).problems[0]?.where).toBe(want);
  });

  test('a refusal the server really sends', () => {
    expect(forDelivery(refusal('Commitments[1].deliveries[0].amount: must be more than 0, got -5', 'nothing was recorded'))).toEqual({
      heading: 'Refused, nothing was recorded:',
      problems: [{ where: 'the delivery’s amount', what: 'must be more than 0, got -5' }],
    });
  });
});

test.each([
  [new Uint8Array(12), 'web-000000000000000000000000'],
  [Uint8Array.from([255, 1, 16, 0, 0, 0, 0, 0, 0, 0, 0, 171]), 'web-ff01100000000000000000ab'],
])('newDeliveryId makes an id the server takes from %j', (bytes, want) => {
  const id = newDeliveryId((a) => {
    a.set(bytes);
    return a;
  });
  expect(id).toBe(want);
  expect(id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/);
});

test('newDeliveryId gives a new id each time', () => {
  expect(newDeliveryId()).not.toBe(newDeliveryId());
});
