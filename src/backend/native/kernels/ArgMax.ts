import { argKernel } from './reduce_impl.ts';

export const argMaxConfig = argKernel('ArgMax');
