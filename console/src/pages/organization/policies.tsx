/** Organization → Policies: the longest a robot token may live, and whether robots may manage members. */
import { Callout, Card, Flex, Switch, Text, TextField } from '@radix-ui/themes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { api } from '../../api/client';
import type { OrganizationPolicies, UpdateOrganizationPoliciesBody } from '../../api/types';
import { ErrorCallout, fieldError } from '../../components/errors';
import { GatedButton, useDecision } from '../../components/gate';
import { Section, useTitle } from '../../components/page';
import { QueryView } from '../../components/states';
import { Time } from '../../components/time';
import { useOrganizationContext } from './layout';

function PolicyForm({ organizationId, policies }: { organizationId: string; policies: OrganizationPolicies }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [maxDays, setMaxDays] = useState(policies.robotTokenMaxLifetimeDays?.toString() ?? '');
  const [robotsManage, setRobotsManage] = useState(policies.robotsMayManageMembers);
  const [ssoDays, setSsoDays] = useState(policies.ssoTokenLifetimeDays?.toString() ?? '');
  useEffect(() => {
    setMaxDays(policies.robotTokenMaxLifetimeDays?.toString() ?? '');
    setRobotsManage(policies.robotsMayManageMembers);
    setSsoDays(policies.ssoTokenLifetimeDays?.toString() ?? '');
  }, [policies]);
  const canSave = useDecision('PATCH', `/organizations/${organizationId}/policies`);
  const save = useMutation({
    mutationFn: (body: UpdateOrganizationPoliciesBody) =>
      api.patch<OrganizationPolicies>(`/organizations/${organizationId}/policies`, body),
    onSuccess: async (updated) => {
      queryClient.setQueryData(['policies', organizationId], updated);
      await queryClient.invalidateQueries({ queryKey: ['robot-policy'] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canSave.allowed !== true) return;
    save.mutate({
      robotTokenMaxLifetimeDays: maxDays.trim() === '' ? null : Number(maxDays),
      robotsMayManageMembers: robotsManage,
      ssoTokenLifetimeDays: ssoDays.trim() === '' ? null : Number(ssoDays),
    });
  };
  const maxError = fieldError(save.error, 'robotTokenMaxLifetimeDays');
  const ssoError = fieldError(save.error, 'ssoTokenLifetimeDays');
  return (
    <Card size="2">
      <form onSubmit={submit} aria-label="Policies" noValidate>
        <Flex direction="column" gap="4">
          <Flex direction="column" gap="1">
            <Text as="label" htmlFor={`${id}-max`} size="2" weight="medium">
              Robot token maximum lifetime (days)
            </Text>
            <TextField.Root
              id={`${id}-max`}
              type="number"
              inputMode="numeric"
              min={1}
              max={3650}
              value={maxDays}
              onChange={(e) => setMaxDays(e.target.value)}
              placeholder="No limit"
              aria-describedby={`${id}-max-help`}
              aria-invalid={maxError ? true : undefined}
            />
            <Text id={`${id}-max-help`} size="1" color={maxError ? 'red' : 'gray'}>
              {maxError ??
                'Empty: no limit. Applies to robots of the organization and its projects created, or whose expiry changes, from now on.'}
            </Text>
          </Flex>
          <Text as="label" size="2">
            <Flex gap="2" align="start">
              <Switch checked={robotsManage} onCheckedChange={setRobotsManage} aria-describedby={`${id}-robots-help`} />
              <Flex direction="column">
                <span>Robots may manage members</span>
                <Text id={`${id}-robots-help`} size="1" color="gray">
                  Off: API tokens cannot change members, roles, permissions or other tokens here or in the organization's
                  projects, whatever their role.
                </Text>
              </Flex>
            </Flex>
          </Text>
          <Flex direction="column" gap="1">
            <Text as="label" htmlFor={`${id}-sso`} size="2" weight="medium">
              SSO login lifetime (days)
            </Text>
            <TextField.Root
              id={`${id}-sso`}
              type="number"
              inputMode="numeric"
              min={1}
              max={365}
              value={ssoDays}
              onChange={(e) => setSsoDays(e.target.value)}
              placeholder="Server default"
              aria-describedby={`${id}-sso-help`}
              aria-invalid={ssoError ? true : undefined}
            />
            <Text id={`${id}-sso-help`} size="1" color={ssoError ? 'red' : 'gray'}>
              {ssoError ??
                "How long a login through this organization's own identity providers lasts. Empty: the server's default."}
            </Text>
          </Flex>
          {save.isError && !maxError && !ssoError && <ErrorCallout error={save.error} />}
          {save.isSuccess && (
            <Callout.Root highContrast color="green" role="status">
              <Callout.Text>Policies saved.</Callout.Text>
            </Callout.Root>
          )}
          <Flex justify="between" align="center" gap="3" wrap="wrap">
            <Text size="1" color="gray">
              Last changed <Time value={policies.updatedAt} />
            </Text>
            <GatedButton type="submit" decision={canSave} loading={save.isPending}>
              Save policies
            </GatedButton>
          </Flex>
        </Flex>
      </form>
    </Card>
  );
}

export function PoliciesPage() {
  const { organization } = useOrganizationContext();
  useTitle('Policies', organization.name);
  const policies = useQuery({
    queryKey: ['policies', organization.id],
    queryFn: () => api.get<OrganizationPolicies>(`/organizations/${organization.id}/policies`),
  });
  return (
    <Section title="Policies" description="Rules for the robots and SSO logins of this organization and its projects.">
      <QueryView query={policies} label="policies">
        {(data) => <PolicyForm organizationId={organization.id} policies={data} />}
      </QueryView>
    </Section>
  );
}
