/** The data-store routes and the scope each needs (the OpenAPI test lists every route). */
export const dataStoreEndpoints: { label: string; scope: string }[] = [
  { label: 'POST /data-structures', scope: 'udts:write' },
  { label: 'GET /data-structures', scope: 'udts:read' },
  { label: 'GET /data-structures/{dataStructureId}', scope: 'udts:read' },
  { label: 'PATCH /data-structures/{dataStructureId}', scope: 'udts:write' },
  { label: 'DELETE /data-structures/{dataStructureId}', scope: 'udts:write' },
  { label: 'POST /data-stores', scope: 'datastores:write' },
  { label: 'GET /data-stores', scope: 'datastores:read' },
  { label: 'GET /data-stores/{dataStoreId}', scope: 'datastores:read' },
  { label: 'PATCH /data-stores/{dataStoreId}', scope: 'datastores:write' },
  { label: 'DELETE /data-stores/{dataStoreId}', scope: 'datastores:write' },
  { label: 'GET /data-stores/{dataStoreId}/data', scope: 'datastores:read' },
  { label: 'POST /data-stores/{dataStoreId}/data', scope: 'datastores:write' },
  { label: 'DELETE /data-stores/{dataStoreId}/data', scope: 'datastores:write' },
  { label: 'PUT /data-stores/{dataStoreId}/data/{key}', scope: 'datastores:write' },
  { label: 'PATCH /data-stores/{dataStoreId}/data/{key}', scope: 'datastores:write' },
];
