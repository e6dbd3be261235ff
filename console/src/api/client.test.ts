import { describe, expect, it } from 'vitest';
import { ApiError, accessPath, queryString } from './client';

describe('queryString', () => {
  it('repeats array parameters and leaves out absent values', () => {
    expect(queryString({ status: ['pending', 'revoked'], limit: 20, nextCursor: undefined, q: '', on: false, none: null })).toBe(
      '?status=pending&status=revoked&limit=20&on=false',
    );
    expect(queryString(undefined)).toBe('');
    expect(queryString({ a: undefined })).toBe('');
  });
});

describe('ApiError', () => {
  it('keeps the envelope: message, code, hint, and the field it blames without its part', () => {
    const error = new ApiError({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Invalid origin "x"',
      reason: { code: 'invalid_origin', hint: 'Send https://host', field: 'body.origin' } as ApiError['reason'],
    });
    expect(error.status).toBe(400);
    expect(error.message).toBe('Invalid origin "x"');
    expect(error.hint).toBe('Send https://host');
    expect(error.field).toBe('origin');
    expect(new ApiError({ statusCode: 403, error: 'Forbidden', message: 'No', reason: { code: 'x' } }).field).toBeUndefined();
  });
});

describe('accessPath', () => {
  it('names the resource, encoded', () => {
    expect(accessPath({ type: 'project', id: 'p1' })).toBe('/access/project/p1');
    expect(accessPath({ type: 'organization', id: 'a/b' })).toBe('/access/organization/a%2Fb');
  });
});
