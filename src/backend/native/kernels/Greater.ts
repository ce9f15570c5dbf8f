import { binaryKernel } from './binary_impl.ts';

export const greaterConfig = binaryKernel('Greater');
