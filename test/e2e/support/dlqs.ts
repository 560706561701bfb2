/** Every `/dlqs` endpoint with the scope it needs and a request that would pass validation. */
export interface DlqIds {
  dlqId: string;
  logId: string;
  scenarioId: number | string;
  operationId: string;
}

export interface DlqEndpoint {
  method: string;
  /** As the OpenAPI document lists it. */
  label: string;
  scope: 'dlqs:read' | 'dlqs:write';
  /** Which id decides "not found": the IE's, the attempt log's, the scenario's, the operation's. */
  owner: 'dlq' | 'log' | 'scenario' | 'operation';
  path: (ids: DlqIds) => string;
  body?: (ids: DlqIds) => unknown;
}

export const dlqEndpoints: DlqEndpoint[] = [
  {
    method: 'GET',
    label: 'GET /dlqs',
    scope: 'dlqs:read',
    owner: 'scenario',
    path: (i) => `/dlqs?scenarioId=${i.scenarioId}`,
  },
  { method: 'GET', label: 'GET /dlqs/{dlqId}', scope: 'dlqs:read', owner: 'dlq', path: (i) => `/dlqs/${i.dlqId}` },
  {
    method: 'GET',
    label: 'GET /dlqs/{dlqId}/blueprint',
    scope: 'dlqs:read',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}/blueprint`,
  },
  {
    method: 'GET',
    label: 'GET /dlqs/{dlqId}/bundle',
    scope: 'dlqs:read',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}/bundle`,
  },
  {
    method: 'PATCH',
    label: 'PATCH /dlqs/{dlqId}',
    scope: 'dlqs:write',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}`,
    body: () => ({}),
  },
  {
    method: 'POST',
    label: 'POST /dlqs/{dlqId}/retry',
    scope: 'dlqs:write',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}/retry`,
  },
  {
    method: 'POST',
    label: 'POST /dlqs/{dlqId}/resolve',
    scope: 'dlqs:write',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}/resolve`,
  },
  {
    method: 'GET',
    label: 'GET /dlqs/{dlqId}/changes',
    scope: 'dlqs:read',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}/changes`,
  },
  {
    method: 'GET',
    label: 'GET /dlqs/{dlqId}/plan',
    scope: 'dlqs:read',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}/plan`,
  },
  {
    method: 'GET',
    label: 'GET /dlqs/{dlqId}/blueprint-diff',
    scope: 'dlqs:read',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}/blueprint-diff`,
  },
  {
    method: 'GET',
    label: 'GET /dlqs/{dlqId}/logs',
    scope: 'dlqs:read',
    owner: 'dlq',
    path: (i) => `/dlqs/${i.dlqId}/logs`,
  },
  {
    method: 'GET',
    label: 'GET /dlqs/{dlqId}/logs/{logId}',
    scope: 'dlqs:read',
    owner: 'log',
    path: (i) => `/dlqs/${i.dlqId}/logs/${i.logId}`,
  },
  {
    method: 'POST',
    label: 'POST /dlqs/retry',
    scope: 'dlqs:write',
    owner: 'scenario',
    path: (i) => `/dlqs/retry?scenarioId=${i.scenarioId}`,
    body: (i) => ({ ids: [i.dlqId] }),
  },
  {
    method: 'DELETE',
    label: 'DELETE /dlqs',
    scope: 'dlqs:write',
    owner: 'scenario',
    path: (i) => `/dlqs?scenarioId=${i.scenarioId}`,
    body: (i) => ({ ids: [i.dlqId] }),
  },
  {
    method: 'GET',
    label: 'GET /dlqs/operations/{operationId}',
    scope: 'dlqs:read',
    owner: 'operation',
    path: (i) => `/dlqs/operations/${i.operationId}`,
  },
];
