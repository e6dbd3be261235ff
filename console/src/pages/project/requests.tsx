/** Project → Access requests: pending requests with "Approve" (choose roles) and "Decline". */
import { Badge, Flex, Table, Text } from '@radix-ui/themes';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { accessPath, api } from '../../api/client';
import { roleTitle, useAllRoles, useChange } from '../../api/queries';
import type { AcceptRequestBody, AccessRequest, ResourceRef } from '../../api/types';
import { ConfirmItemDialog, FormDialog, useItemDialog } from '../../components/dialogs';
import { GatedButton, useDecision } from '../../components/gate';
import { Section, useTitle } from '../../components/page';
import { ListTable, RowAction } from '../../components/paged-table';
import { RolePicker } from '../../components/role-picker';
import { Time } from '../../components/time';
import { useProjectContext } from './layout';

function ApproveDialog({
  resource,
  request,
  onClose,
}: {
  resource: ResourceRef;
  request: AccessRequest | null;
  onClose: () => void;
}) {
  const queryClient = useQueryClient();
  const roles = useAllRoles(resource);
  const userRoles = (roles.data ?? []).filter((r) => r.appliesToUsers);
  const suggested =
    request?.requestedRole && userRoles.some((r) => r.name === request.requestedRole) ? [request.requestedRole] : [];
  const [chosen, setChosen] = useState<string[] | null>(null);
  const value = chosen ?? suggested;
  const approve = useMutation({
    mutationFn: (target: AccessRequest) =>
      api.put<AccessRequest>(`${accessPath(resource)}/requests/${target.id}/accept`, {
        roleNames: value,
      } satisfies AcceptRequestBody),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['requests', resource.type, resource.id] });
      await queryClient.invalidateQueries({ queryKey: ['members', resource.type, resource.id] });
      close();
    },
  });
  const close = () => {
    setChosen(null);
    approve.reset();
    onClose();
  };
  return (
    <FormDialog
      open={request !== null}
      onOpenChange={(open) => !open && close()}
      title="Approve access request"
      description={request ? `${requester(request)} gets the roles you choose.` : undefined}
      submitLabel="Approve"
      pending={approve.isPending}
      error={approve.error}
      submitDisabled={value.length === 0}
      onSubmit={() => request && approve.mutate(request)}
    >
      <RolePicker roles={userRoles} value={value} onChange={setChosen} />
    </FormDialog>
  );
}

/** Who asked, as the server names them. */
function requester(request: AccessRequest): string {
  return request.requestedBy ? `${request.requestedBy.displayName} (${request.requestedBy.email})` : request.requestedByUserId;
}

const STATUS_COLOR = { pending: 'amber', accepted: 'green', declined: 'red', expired: 'gray' } as const;

export function RequestsPage() {
  const { project } = useProjectContext();
  useTitle('Access requests', project.displayName);
  const resource: ResourceRef = { type: 'project', id: project.id };
  const _queryClient = useQueryClient();
  const roles = useAllRoles(resource);
  const requests = useQuery({
    queryKey: ['requests', 'project', project.id],
    queryFn: () => api.get<AccessRequest[]>(`${accessPath(resource)}/requests`),
  });
  const approving = useItemDialog<AccessRequest>();
  const declining = useItemDialog<AccessRequest>();
  const sample = requests.data?.[0]?.id;
  const canAccept = useDecision('PUT', sample ? `${accessPath(resource)}/requests/${sample}/accept` : null);
  const canDecline = useDecision('PUT', sample ? `${accessPath(resource)}/requests/${sample}/decline` : null);
  const decline = useChange(
    (request: AccessRequest) => api.put<AccessRequest>(`${accessPath(resource)}/requests/${request.id}/decline`),
    [['requests', 'project', project.id]],
    declining.close,
  );
  return (
    <Section
      title="Access requests"
      description="People who asked to join this project, or for another role. The newest come first; a request left pending for 14 days expires."
    >
      <ApproveDialog resource={resource} request={approving.item} onClose={approving.close} />
      <ConfirmItemDialog
        dialog={declining}
        mutation={decline}
        title="Decline access request"
        description={() => 'The person may not ask again for 14 days.'}
        confirmLabel="Decline"
      />
      <ListTable
        query={requests}
        items={(list) => list}
        what="access requests"
        label="Access requests"
        empty="Nobody has asked for access."
        columns={['Requested by', 'Asks for', 'Note', 'Asked', 'Status', 'Actions']}
        row={(request) => (
          <Table.Row key={request.id}>
            <Table.RowHeaderCell>
              <Flex direction="column">
                <Text weight="medium" className="gh-break">
                  {request.requestedBy?.displayName ?? 'A deleted account'}
                </Text>
                <Text size="1" color="gray" className="gh-break">
                  {request.requestedBy?.email ?? request.requestedByUserId}
                </Text>
              </Flex>
            </Table.RowHeaderCell>
            <Table.Cell>
              {request.type === 'role' ? 'Another role' : 'Access'}
              {request.requestedRole ? `: ${roleTitle(roles.data, request.requestedRole)}` : ''}
            </Table.Cell>
            <Table.Cell>
              <Text className="gh-break">{request.note || '—'}</Text>
            </Table.Cell>
            <Table.Cell>
              <Time value={request.createdAt} />
            </Table.Cell>
            <Table.Cell>
              <Badge highContrast color={STATUS_COLOR[request.status]}>
                {request.status}
              </Badge>
            </Table.Cell>
            <Table.Cell>
              {request.status === 'pending' ? (
                <Flex gap="2">
                  <GatedButton
                    size="1"
                    decision={canAccept}
                    onClick={() => approving.open(request)}
                    aria-label={`Approve the request of ${requester(request)}`}
                  >
                    Approve
                  </GatedButton>
                  <RowAction
                    decision={canDecline}
                    danger
                    onClick={() => declining.open(request)}
                    label={`Decline the request of ${requester(request)}`}
                  >
                    Decline
                  </RowAction>
                </Flex>
              ) : (
                <Text size="1" color="gray">
                  Decided <Time value={request.updatedAt} />
                </Text>
              )}
            </Table.Cell>
          </Table.Row>
        )}
      />
    </Section>
  );
}
