import { Theme } from '@radix-ui/themes';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { GatedButton, reasonOf } from './gate';

describe('reasonOf', () => {
  it('is the server’s message and fix for a refusal, nothing for an allowed action', () => {
    expect(
      reasonOf({
        allowed: false,
        message: 'Missing permission sanity.project.tokens.create on project p1',
        fix: 'Ask an administrator of project p1 for a role with sanity.project.tokens.create.',
      }),
    ).toBe(
      'Missing permission sanity.project.tokens.create on project p1. Ask an administrator of project p1 for a role with sanity.project.tokens.create.',
    );
    expect(reasonOf({ allowed: false, message: 'Robots are not allowed', fix: null })).toBe('Robots are not allowed');
    expect(reasonOf({ allowed: true, message: 'Allowed', fix: null })).toBeNull();
  });
});

const render = (node: React.ReactNode) => renderToStaticMarkup(<Theme>{node}</Theme>);

describe('GatedButton', () => {
  it('is an ordinary button when the server allows the action', () => {
    const html = render(<GatedButton decision={{ allowed: true, reason: null }}>Add API token</GatedButton>);
    expect(html).toContain('>Add API token</button>');
    expect(html).not.toContain('aria-disabled');
  });

  it('refused, stays focusable but disabled, described by the server’s reason', () => {
    const reason = 'Missing permission sanity.project.tokens.create on project p1. Ask an administrator.';
    const html = render(<GatedButton decision={{ allowed: false, reason }}>Add API token</GatedButton>);
    expect(html).toMatch(/<button[^>]*aria-disabled="true"/);
    expect(html).not.toMatch(/<button[^>]*\sdisabled=""/);
    const describedBy = /aria-describedby="([^"]+)"/.exec(html)?.[1] as string;
    expect(html).toContain(`id="${describedBy}"`);
    expect(html).toContain(reason);
  });

  it('while the server has not answered, is not clickable and says so', () => {
    const html = render(<GatedButton decision={{ allowed: null, reason: null }}>Delete</GatedButton>);
    expect(html).toMatch(/aria-disabled="true"/);
    expect(html).toContain('Checking whether you may do this');
  });
});
