/** `sluice/react`: the same as `@sluice/react`, which must be installed beside `sluice` (with `react`) to use it. */
export * from '@sluice/react';
