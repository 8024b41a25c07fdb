// JS SDK 5.x datasets and experiments against Loupe (docs/COMPATIBILITY.md §7.2): a dataset and
// items made through the SDK's REST client (`langfuse.api.datasets.create`, `datasetItems.create`),
// `langfuse.dataset.get` (a folder name, encoded by the SDK), `dataset.runExperiment` with an item
// evaluator and a run evaluator — JS 5 posts a run item per dataset item *before* running the
// task and uses the returned `datasetRunId` as the experiment id — and `item.link(span, runName)`.
//
// This file only drives the SDK and writes what it got back to $SDK_RESULTS_DIR/js-datasets.json;
// check_datasets.py checks what Loupe stored through the public read API. Run by sdk-tests/run.

import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { NodeSDK } from "@opentelemetry/sdk-node";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import { startObservation } from "@langfuse/tracing";
import { LangfuseClient } from "@langfuse/client";

const run = randomUUID().slice(0, 8);
const out = { run, dataset: `sdk/js capitals ${run}`, runName: `js-lookup-${run}`, linkRun: `js-link-${run}` };
const capitals = { France: "Paris", Japan: "Tokyo", Kenya: "Nairobi" };

const spanProcessor = new LangfuseSpanProcessor({ environment: "sdk-js" });
const sdk = new NodeSDK({ spanProcessors: [spanProcessor] });
sdk.start();
const langfuse = new LangfuseClient();

await langfuse.api.datasets.create({ name: out.dataset, description: "capitals", metadata: { owner: "sdk-tests" } });
out.itemIds = [];
for (const [country, capital] of Object.entries(capitals)) {
  const item = await langfuse.api.datasetItems.create({
    datasetName: out.dataset,
    id: `js-${run}-${country.toLowerCase()}`,
    input: { country },
    expectedOutput: capital,
  });
  out.itemIds.push(item.id);
}

const dataset = await langfuse.dataset.get(out.dataset);
out.datasetId = dataset.id;
out.fetchedItems = dataset.items.map((i) => i.id);

const result = await dataset.runExperiment({
  name: "js lookup",
  runName: out.runName,
  description: "dictionary lookup",
  metadata: { model: "dict" },
  task: async ({ input }) => capitals[input.country],
  evaluators: [async ({ output, expectedOutput }) => ({ name: "exact_match", value: output === expectedOutput ? 1 : 0 })],
  runEvaluators: [
    async ({ itemResults }) => ({
      name: "avg_exact_match",
      value: itemResults.flatMap((r) => r.evaluations).reduce((sum, e) => sum + e.value, 0) / itemResults.length,
    }),
  ],
});
out.experimentId = result.experimentId;
out.datasetRunId = result.datasetRunId;
out.itemTraces = Object.fromEntries(result.itemResults.map((r) => [r.item.id, r.traceId]));
out.itemRunIds = result.itemResults.map((r) => r.datasetRunId);

// item.link: a span of our own linked into a second run.
const span = startObservation("js-linked-span", { input: { country: "France" } });
span.update({ output: "Paris" });
span.end();
const linked = await dataset.items[0].link({ otelSpan: span.otelSpan }, out.linkRun, { description: "linked", metadata: { mode: "link" } });
out.link = { item: dataset.items[0].id, trace: span.traceId, observation: span.id, response: linked };

try {
  await langfuse.flush();
  await spanProcessor.forceFlush();
  await sdk.shutdown();
} catch (error) {
  out.flushErrors = String(error);
}
writeFileSync(join(process.env.SDK_RESULTS_DIR ?? ".", "js-datasets.json"), JSON.stringify(out, null, 1));
