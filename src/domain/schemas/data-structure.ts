/**
 * The zod schema of a data structure's `spec` (Make's `/data-structures` shape): the API checks
 * it once, so the store and the modules can trust it (../data-structure.ts).
 */
import { z } from 'zod';
import { dataStructureFieldTypes, type DataStructureField } from '../data-structure';

/** Field names become record keys: no dots, no leading `$`, nothing empty (FerretDB and Make alike). */
const fieldName = z
  .string()
  .min(1, 'a field needs a name')
  .max(128)
  .refine((name) => !name.startsWith('$') && !name.includes('.') && name !== '__proto__', {
    message: 'a field name may not start with "$", hold "." or be "__proto__"',
  });

export const dataStructureFieldSchema: z.ZodType<DataStructureField> = z.lazy(() =>
  z.looseObject({
    name: fieldName,
    type: z.enum(dataStructureFieldTypes, {
      error: `a field's type is one of ${dataStructureFieldTypes.join(', ')}`,
    }),
    label: z.string().optional(),
    required: z.boolean().optional(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    multiline: z.boolean().optional(),
    spec: z.union([z.array(dataStructureFieldSchema), dataStructureFieldSchema]).optional(),
  }),
) as unknown as z.ZodType<DataStructureField>;

/** A structure's fields: names unique within their level. */
export const dataStructureSpecSchema = z
  .array(dataStructureFieldSchema)
  .max(500)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    fields.forEach((field, index) => {
      if (seen.has(field.name))
        ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate field "${field.name}"` });
      seen.add(field.name);
    });
  });
