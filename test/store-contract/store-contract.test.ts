// The store contract: every suite against every backend, in this one loop. A
// backend passes all of them or it is not a backend (as Hono runs one router
// suite against all its routers).

import { describe } from "node:test";
import { storeBackends } from "./backends.js";
import { forgettingContract } from "./forgetting.contract.js";
import { logContract } from "./logs.contract.js";
import { registryContract } from "./registry.contract.js";
import { serviceContract } from "./services.contract.js";
import { txContract } from "./tx.contract.js";

const suites = [txContract, serviceContract, forgettingContract, logContract, registryContract];

const backends = storeBackends();

// The backends share nothing, so they run side by side; within one, a test at a
// time (suites share a store between a test's hooks and its body).
describe("Store contract", { concurrency: backends.length }, () => {
  for (const backend of backends) {
    describe(`on ${backend.name}`, { concurrency: 1 }, () => {
      for (const suite of suites) suite(backend);
    });
  }
});
