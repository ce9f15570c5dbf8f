import { binaryKernel } from './binary_impl.ts';

export const notEqualConfig = binaryKernel('NotEqual');
