import { z } from 'zod';
import { errorCategories } from '../errors';

export const errorCategorySchema = z.enum(errorCategories);
