import { binaryKernel } from './binary_impl.ts';

export const greaterEqualConfig = binaryKernel('GreaterEqual');
