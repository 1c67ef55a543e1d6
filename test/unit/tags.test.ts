import { MAX_TAGS_PER_VAULT, addTagsToVault, listTagsForVault, removeTagsFromVault } from '../../lambda/domain/tags';
import { createVault } from '../../lambda/domain/vaults';
import { MemoryMetadataStore, memoryServices, type MemoryServices } from '../support/memory-stores';
import { ACCOUNT, arn } from '../support/domain-helpers';

let svc: MemoryServices;

beforeEach(async () => {
  svc = memoryServices(new MemoryMetadataStore());
  await createVault(svc, ACCOUNT, 'v');
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const add = (tags: unknown, vaultName = 'v') => addTagsToVault(svc, ACCOUNT, vaultName, json({ Tags: tags }));
const remove = (keys: unknown, vaultName = 'v') => removeTagsFromVault(svc, ACCOUNT, vaultName, json({ TagKeys: keys }));
const list = (vaultName = 'v') => listTagsForVault(svc, ACCOUNT, vaultName);
const error = (code: string, message: string | RegExp) =>
  expect.objectContaining({ code, message: typeof message === 'string' ? message : expect.stringMatching(message) });
const invalid = (message: string | RegExp) => error('InvalidParameterValueException', message);

/** `count` tags named k00, k01, ... */
const manyTags = (count: number, prefix = 'k') =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${String(i).padStart(2, '0')}`, `value ${i}`]));

describe('AddTagsToVault and ListTagsForVault', () => {
  it('lists no tags on a new vault', async () => {
    expect(await list()).toEqual({});
  });

  it('adds tags, replaces the value of an existing key, and keeps the others', async () => {
    await add({ Owner: 'alice', Purpose: 'video archives', Empty: '' });
    await add({ Owner: 'bob', 'cost-center': '42' });
    expect(await list()).toEqual({ Owner: 'bob', Purpose: 'video archives', Empty: '', 'cost-center': '42' });
  });

  it('allows 50 tags and refuses a 51st with LimitExceededException, changing nothing', async () => {
    await add(manyTags(MAX_TAGS_PER_VAULT - 1));
    await add({ last: 'x' });
    await expect(add({ oneTooMany: 'y' })).rejects.toEqual(
      error('LimitExceededException', `The maximum number of tags for ${arn('v')} (50) would be exceeded.`),
    );
    // Replacing values of existing keys does not add tags.
    await add({ last: 'replaced', k00: 'replaced' });
    const tags = await list();
    expect(Object.keys(tags)).toHaveLength(50);
    expect(tags).toMatchObject({ last: 'replaced', k00: 'replaced' });
    expect(tags.oneTooMany).toBeUndefined();
  });

  it('refuses a request that would pass 50 tags as a whole, adding none of them', async () => {
    await add(manyTags(45));
    await expect(add(manyTags(6, 'new'))).rejects.toEqual(error('LimitExceededException', /would be exceeded/));
    expect(Object.keys(await list())).toHaveLength(45);
  });

  it('checks keys: 1 to 128 characters, not starting with aws:, of the allowed characters', async () => {
    const longest = 'k'.repeat(128);
    await add({ [longest]: 'ok', 'Ünïcödé 名前 _./=+-@': 'ok' });
    expect(Object.keys(await list())).toEqual(expect.arrayContaining([longest, 'Ünïcödé 名前 _./=+-@']));

    await expect(add({ '': 'v' })).rejects.toEqual(invalid('Invalid tag key: "". A tag key must be 1 to 128 characters long.'));
    await expect(add({ ['k'.repeat(129)]: 'v' })).rejects.toEqual(invalid(/A tag key must be 1 to 128 characters long/));
    await expect(add({ 'aws:createdBy': 'v' })).rejects.toEqual(
      invalid('Invalid tag key: "aws:createdBy". Tag keys starting with "aws:" are reserved for AWS.'),
    );
    await expect(add({ 'AWS:x': 'v' })).rejects.toEqual(invalid(/reserved for AWS/));
    await expect(add({ 'semi;colon': 'v' })).rejects.toEqual(invalid(/Tag keys may contain Unicode letters, digits, spaces/));
  });

  it('counts characters, not UTF-16 units, toward the key length', async () => {
    await add({ ['𝒜'.repeat(128)]: 'x' });
    await expect(add({ ['𝒜'.repeat(129)]: 'x' })).rejects.toEqual(invalid(/1 to 128 characters/));
  });

  it('checks values: strings of at most 255 characters of the allowed characters', async () => {
    await add({ a: 'v'.repeat(255) });
    await expect(add({ b: 'v'.repeat(256) })).rejects.toEqual(
      invalid('Invalid value for tag "b": a tag value must be at most 255 characters long.'),
    );
    await expect(add({ b: 7 })).rejects.toEqual(invalid('Invalid value for tag "b": it must be a string.'));
    await expect(add({ b: 'a<b' })).rejects.toEqual(invalid(/tag values may contain/));
    expect(Object.keys(await list())).toEqual(['a']);
  });

  it('refuses a missing, malformed or empty Tags map', async () => {
    await expect(addTagsToVault(svc, ACCOUNT, 'v', json({}))).rejects.toEqual(
      error('MissingParameterValueException', 'Required parameter missing: Tags'),
    );
    await expect(addTagsToVault(svc, ACCOUNT, 'v', Buffer.from('{'))).rejects.toEqual(invalid('The request body is not valid JSON.'));
    await expect(add(['a', 'b'])).rejects.toEqual(invalid(/Invalid Tags: it must be a map/));
    await expect(add({})).rejects.toEqual(invalid('Invalid Tags: give at least one tag.'));
  });

  it('answers 404 for a vault that does not exist', async () => {
    const notFound = error('ResourceNotFoundException', `Vault not found for ARN: ${arn('missing')}`);
    await expect(add({ a: 'b' }, 'missing')).rejects.toEqual(notFound);
    await expect(remove(['a'], 'missing')).rejects.toEqual(notFound);
    await expect(list('missing')).rejects.toEqual(notFound);
  });

  it('loses no update when tags are added concurrently', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => add({ [`writer${i}`]: String(i) })));
    expect(await list()).toEqual(Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`writer${i}`, String(i)])));
  });

  it('keeps the limit when tags are added concurrently', async () => {
    await add(manyTags(48));
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => add({ [`racer${i}`]: 'x' })));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    expect(Object.keys(await list())).toHaveLength(50);
  });
});

describe('RemoveTagsFromVault', () => {
  it('removes the given keys, ignores absent ones, and leaves the rest', async () => {
    await add({ a: '1', b: '2', c: '3' });
    await remove(['a', 'not-there']);
    expect(await list()).toEqual({ b: '2', c: '3' });
    await remove(['b', 'c']);
    expect(await list()).toEqual({});
    expect((await svc.metadata.getVault(ACCOUNT, 'v'))?.tags).toBeUndefined();
    await remove(['b']);
  });

  it('succeeds on a vault without tags, and with an empty list', async () => {
    await remove([]);
    await remove(['x']);
    expect(await list()).toEqual({});
  });

  it('refuses a missing or malformed TagKeys', async () => {
    await expect(removeTagsFromVault(svc, ACCOUNT, 'v', json({}))).rejects.toEqual(
      error('MissingParameterValueException', 'Required parameter missing: TagKeys'),
    );
    await expect(remove('a')).rejects.toEqual(invalid('Invalid TagKeys: it must be a list of tag keys.'));
    await expect(remove([1])).rejects.toEqual(invalid('Invalid TagKeys: it must be a list of tag keys.'));
  });

  it('loses no update when tags are added and removed concurrently', async () => {
    await add({ keep: '1', drop: '2' });
    await Promise.all([remove(['drop']), add({ added: '3' }), add({ other: '4' })]);
    expect(await list()).toEqual({ keep: '1', added: '3', other: '4' });
  });
});
