import { z } from 'zod';
import { IE_CHANGE_REASON_MAX_CHARS } from '../ie-changes';

export const ieChangeActorSchema = z.strictObject({
  type: z.literal('token'),
  tokenId: z.string().min(1).max(100),
  name: z.string().max(200),
});

export const ieChangeReasonSchema = z.string().max(IE_CHANGE_REASON_MAX_CHARS);
