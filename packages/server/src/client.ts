/** `sluice/client`: the same as `@sluice/client`, for projects that install the gateway. */
export * from '@sluice/client';
