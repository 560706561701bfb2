import { z } from 'zod';
import { HEX32_ID } from '../ids';

export const executionIdSchema = z.string().regex(HEX32_ID, 'must be 32 lowercase hex characters');
export const ieIdSchema = z.string().regex(HEX32_ID, 'must be 32 lowercase hex characters');
