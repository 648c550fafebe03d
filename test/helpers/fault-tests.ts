// The fault project's tests are part of `npm test`; JOURNEYS_FAULT_TESTS=0 skips them (a quick local run).
export const FAULT_TESTS_SKIPPED = process.env.JOURNEYS_FAULT_TESTS === '0';

/** `test`, or `test.skip` when the fault tests are skipped. */
export const faultTest = FAULT_TESTS_SKIPPED ? test.skip : test;
