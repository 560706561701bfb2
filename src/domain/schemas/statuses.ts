import { z } from 'zod';
import { ieStatuses } from '../statuses';

export const ieStatusSchema = z.enum(ieStatuses);
export const executionStatusSchema = z.enum(['success', 'warning', 'error']);
