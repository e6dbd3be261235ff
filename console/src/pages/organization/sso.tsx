/**
 * Organization → SSO providers: each provider with the service-provider values to give the
 * identity provider (each with a copy button) and, for SAML, the metadata download; adding and
 * deleting providers.
 */
import { Badge, Button, Card, Flex, Heading, Select, Text, TextArea, TextField } from '@radix-ui/themes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../../api/client';
import { useChange } from '../../api/queries';
import type { SsoProvider, SsoProviderInput } from '../../api/types';
import { CopyField } from '../../components/copy';
import { ConfirmItemDialog, FormDialog, useItemDialog } from '../../components/dialogs';
import { GatedButton, useDecision } from '../../components/gate';
import { Section, useTitle } from '../../components/page';
import { QueryView } from '../../components/states';
import { useOrganizationContext } from './layout';

function AddProviderDialog({
  organizationId,
  open,
  onOpenChange,
}: {
  organizationId: string;
  open: boolean;
  onOpenChange: (o: boolean) => void;
}) {
  const id = useId();
  const queryClient = useQueryClient();
  const [type, setType] = useState<'oidc' | 'saml'>('oidc');
  const [fields, setFields] = useState<Record<string, string>>({});
  const set = (key: string) => (event: { target: { value: string } }) => setFields({ ...fields, [key]: event.target.value });
  const add = useMutation({
    mutationFn: (body: SsoProviderInput) => api.post<SsoProvider>(`/organizations/${organizationId}/providers`, body),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['sso', organizationId] });
      close(false);
    },
  });
  const close = (next: boolean) => {
    if (!next) {
      setFields({});
      setType('oidc');
      add.reset();
    }
    onOpenChange(next);
  };
  const value = (key: string) => fields[key]?.trim() ?? '';
  const config =
    type === 'oidc'
      ? {
          issuer: value('issuer'),
          clientId: value('clientId'),
          ...(value('clientSecret') ? { clientSecret: value('clientSecret') } : {}),
        }
      : { entryPoint: value('entryPoint'), idpIssuer: value('idpIssuer'), idpCert: value('idpCert') };
  const input = (key: string, label: string, help?: string, multiline = false) => (
    <Flex direction="column" gap="1" key={key}>
      <Text as="label" htmlFor={`${id}-${key}`} size="2" weight="medium">
        {label}
      </Text>
      {multiline ? (
        <TextArea
          id={`${id}-${key}`}
          value={fields[key] ?? ''}
          onChange={set(key)}
          rows={4}
          aria-describedby={help ? `${id}-${key}-help` : undefined}
        />
      ) : (
        <TextField.Root
          id={`${id}-${key}`}
          value={fields[key] ?? ''}
          onChange={set(key)}
          type={key === 'clientSecret' ? 'password' : 'text'}
          autoComplete="off"
          aria-describedby={help ? `${id}-${key}-help` : undefined}
        />
      )}
      {help && (
        <Text id={`${id}-${key}-help`} size="1" color="gray">
          {help}
        </Text>
      )}
    </Flex>
  );
  return (
    <FormDialog
      open={open}
      onOpenChange={close}
      title="Add SSO provider"
      description="People of this organization can then log in through it. The values to give the identity provider are shown once it is added."
      submitLabel="Add provider"
      pending={add.isPending}
      error={add.error}
      onSubmit={() => add.mutate({ type, title: value('title'), config })}
    >
      <Flex direction="column" gap="1">
        <Text as="div" size="2" weight="medium" id={`${id}-type`}>
          Protocol
        </Text>
        <Select.Root value={type} onValueChange={(v) => setType(v === 'saml' ? 'saml' : 'oidc')}>
          <Select.Trigger aria-labelledby={`${id}-type`} />
          <Select.Content position="popper">
            <Select.Item value="oidc">OpenID Connect</Select.Item>
            <Select.Item value="saml">SAML 2.0</Select.Item>
          </Select.Content>
        </Select.Root>
      </Flex>
      {input('title', 'Title', 'What the login page calls it, e.g. "Acme SSO".')}
      {type === 'oidc'
        ? [
            input('issuer', 'Issuer', 'Its discovery document is at <issuer>/.well-known/openid-configuration.'),
            input('clientId', 'Client ID'),
            input('clientSecret', 'Client secret', 'Stored encrypted and never shown again. Leave empty for a public client.'),
          ]
        : [
            input('entryPoint', 'Identity provider SSO URL'),
            input('idpIssuer', 'Identity provider entity ID'),
            input('idpCert', 'Identity provider signing certificate', 'PEM, or the base64 body as its metadata shows it.', true),
          ]}
    </FormDialog>
  );
}

function ProviderCard({
  provider,
  canDelete,
  onDelete,
}: {
  provider: SsoProvider;
  canDelete: ReturnType<typeof useDecision>;
  onDelete: () => void;
}) {
  return (
    <Card size="2" asChild>
      <article aria-label={provider.title}>
        <Flex justify="between" align="start" gap="3" wrap="wrap" mb="3">
          <Flex direction="column" gap="1">
            <Heading as="h3" size="4">
              {provider.title}
            </Heading>
            <Flex gap="2" wrap="wrap">
              <Badge highContrast>{provider.type === 'oidc' ? 'OpenID Connect' : 'SAML 2.0'}</Badge>
              <Badge highContrast color={provider.disabled ? 'gray' : 'green'}>
                {provider.disabled ? 'Switched off' : 'On'}
              </Badge>
              <Badge highContrast color="gray" variant="outline">
                {provider.id}
              </Badge>
            </Flex>
          </Flex>
          <GatedButton
            size="1"
            variant="soft"
            color="red"
            decision={canDelete}
            onClick={onDelete}
            aria-label={`Delete ${provider.title}`}
          >
            Delete
          </GatedButton>
        </Flex>
        <Text as="p" size="2" color="gray" mb="2">
          Give the identity provider these values:
        </Text>
        <Flex direction="column" gap="3">
          {provider.type === 'oidc' ? (
            <CopyField label="Redirect URI" value={provider.callbackUrl} />
          ) : (
            <>
              <CopyField label="Entity ID" value={provider.entityId ?? ''} />
              <CopyField label="Assertion consumer service URL" value={provider.callbackUrl} />
              {provider.metadataUrl && (
                <Flex>
                  <Button asChild variant="soft">
                    <a
                      href={new URL(provider.metadataUrl, window.location.origin).pathname}
                      download={`${provider.id}-metadata.xml`}
                    >
                      Download SAML metadata
                    </a>
                  </Button>
                </Flex>
              )}
            </>
          )}
          <CopyField label="Login URL" value={provider.loginUrl} />
        </Flex>
      </article>
    </Card>
  );
}

export function SsoPage() {
  const { organization } = useOrganizationContext();
  useTitle('SSO providers', organization.name);
  const _queryClient = useQueryClient();
  const providers = useQuery({
    queryKey: ['sso', organization.id],
    queryFn: () => api.get<SsoProvider[]>(`/organizations/${organization.id}/providers`),
  });
  const [adding, setAdding] = useState(false);
  const deleting = useItemDialog<SsoProvider>();
  const base = `/organizations/${organization.id}/providers`;
  const canAdd = useDecision('POST', base);
  const sample = providers.data?.[0]?.id;
  const canDelete = useDecision('DELETE', sample ? `${base}/${sample}` : null);
  const remove = useChange(
    (provider: SsoProvider) => api.delete(`${base}/${provider.id}`),
    [['sso', organization.id]],
    deleting.close,
  );
  return (
    <Section
      title="SSO providers"
      description={
        organization.slug
          ? `People log in with "Log in with SSO" and the slug ${organization.slug}.`
          : 'Give the organization a slug so people can find its providers with "Log in with SSO".'
      }
      actions={
        <GatedButton decision={canAdd} onClick={() => setAdding(true)}>
          Add SSO provider
        </GatedButton>
      }
    >
      <AddProviderDialog organizationId={organization.id} open={adding} onOpenChange={setAdding} />
      <ConfirmItemDialog
        dialog={deleting}
        mutation={remove}
        title="Delete SSO provider"
        description={(item) => `Logins through ${item.title} stop at once, including ones in progress.`}
        confirmLabel="Delete provider"
        confirmText={(item) => item.title}
      />
      <QueryView query={providers} label="SSO providers" empty="No SSO provider yet." isEmpty={(list) => list.length === 0}>
        {(list) => (
          <Flex direction="column" gap="4">
            {list.map((provider) => (
              <ProviderCard
                key={provider.id}
                provider={provider}
                canDelete={canDelete}
                onDelete={() => deleting.open(provider)}
              />
            ))}
          </Flex>
        )}
      </QueryView>
    </Section>
  );
}
