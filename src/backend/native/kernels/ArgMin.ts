import { argKernel } from './reduce_impl.ts';

export const argMinConfig = argKernel('ArgMin');
