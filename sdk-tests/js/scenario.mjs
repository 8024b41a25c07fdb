// JS SDK 5.x against Loupe: NodeSDK + LangfuseSpanProcessor (OTLP/JSON), @langfuse/tracing
// (startActiveObservation / startObservation / propagateAttributes / updateActiveObservation),
// @langfuse/openai (observeOpenAI against the fake OpenAI server) and @langfuse/client scores
// (score-create events on POST /api/public/ingestion).
//
// This file only drives the SDK and writes the ids it got back to $SDK_RESULTS_DIR/js-ids.json;
// check.py then checks what Loupe stored through the public read API. Run by sdk-tests/run.

import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { NodeSDK } from "@opentelemetry/sdk-node";
import { LangfuseSpanProcessor } from "@langfuse/otel";
import {
  propagateAttributes,
  setActiveTraceAsPublic,
  setActiveTraceIO,
  startActiveObservation,
  startObservation,
  updateActiveObservation,
} from "@langfuse/tracing";
import { observeOpenAI } from "@langfuse/openai";
import { LangfuseClient } from "@langfuse/client";
import OpenAI from "openai";

const run = randomUUID().slice(0, 8);
const ids = {
  run,
  user: `js-user-${run}`,
  session: `js-session-${run}`,
  openaiUser: `js-openai-user-${run}`,
  openaiSession: `js-openai-session-${run}`,
  idemScore: `js-idem-${run}`,
  completionStart: "2026-01-02T03:04:05.123Z",
};

const spanProcessor = new LangfuseSpanProcessor({ environment: "sdk-js", release: "rel-js" });
const sdk = new NodeSDK({ spanProcessors: [spanProcessor] });
sdk.start();

// ---- 1. nested observations, propagateAttributes, trace IO, every observation type -----------
await startActiveObservation("js-root", async (root) => {
  ids.trace = root.traceId;
  ids.root = root.id;
  root.update({ input: { question: "what is 2+2?" }, metadata: { root_meta: "r" } });
  await propagateAttributes(
    { userId: ids.user, sessionId: ids.session, tags: ["js-b", "js-a"], metadata: { tenant: "acme" }, version: "v-js", traceName: "js-trace" },
    async () => {
      setActiveTraceAsPublic();
      setActiveTraceIO({ input: { traceInput: "in" }, output: { traceOutput: "out" } });

      await startActiveObservation(
        "js-tool",
        async (tool) => {
          ids.tool = tool.id;
          tool.update({ input: { x: 21 }, output: { doubled: 42 } });
        },
        { asType: "tool" },
      );

      const gen = startObservation(
        "js-gen",
        { model: "gpt-4o-mini", input: [{ role: "user", content: "hi" }], modelParameters: { temperature: 0.3, max_tokens: 40 } },
        { asType: "generation" },
      );
      ids.gen = gen.id;
      gen.update({ output: "js output", usageDetails: { input: 5, output: 3 }, completionStartTime: new Date(ids.completionStart) });
      gen.end();

      const span = startObservation("js-span", { input: "span input" });
      ids.span = span.id;
      ids.types = {};
      for (const t of ["agent", "chain", "retriever", "embedding", "evaluator", "guardrail"]) {
        const o = span.startObservation(`js-${t}`, { input: { step: t } }, { asType: t });
        ids.types[t] = o.id;
        o.update({ output: { type: t } });
        o.end();
      }
      const event = span.startObservation("js-event", { input: { e: 1 }, level: "WARNING", statusMessage: "careful" }, { asType: "event" });
      ids.event = event.id;
      span.update({ output: "span output", level: "ERROR", statusMessage: "span failed" });
      span.end();

      updateActiveObservation({ output: { answer: "4" } });
    },
  );
});

// ---- 2. observeOpenAI inside a parent span ----------------------------------------------------
const openai = new OpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: "sk-fake", maxRetries: 0 });
await startActiveObservation("js-openai-root", async (root) => {
  ids.openaiTrace = root.traceId;
  ids.openaiRoot = root.id;
  const chat = observeOpenAI(openai, {
    traceName: "js-openai",
    userId: ids.openaiUser,
    sessionId: ids.openaiSession,
    tags: ["js-openai"],
    generationName: "js-openai-chat",
    generationMetadata: { k: "v" },
  });
  const res = await chat.chat.completions.create({
    model: "gpt-4o-mini",
    temperature: 0.1,
    max_tokens: 20,
    messages: [{ role: "system", content: "be brief" }, { role: "user", content: "Hi" }],
  });
  ids.chatText = res.choices[0].message.content;
  const streamed = observeOpenAI(openai, { generationName: "js-openai-stream" });
  const stream = await streamed.chat.completions.create({
    model: "gpt-4o-mini",
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: "user", content: "Stream please" }],
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  ids.streamText = text;
});

// ---- 3. scores through @langfuse/client -------------------------------------------------------
const langfuse = new LangfuseClient();
langfuse.score.create({ name: "js-accuracy", value: 0.9, traceId: ids.trace, comment: "numeric" });
langfuse.score.create({ name: "js-category", value: "great", dataType: "CATEGORICAL", traceId: ids.trace, observationId: ids.gen });
langfuse.score.create({ name: "js-correct", value: 1, dataType: "BOOLEAN", traceId: ids.trace });
langfuse.score.create({ name: "js-session-score", value: 2, sessionId: ids.session });
langfuse.score.create({ id: ids.idemScore, name: "js-idem", value: 1, traceId: ids.trace });
await langfuse.score.flush();
langfuse.score.create({ id: ids.idemScore, name: "js-idem", value: 3, traceId: ids.trace, comment: "second write" });
await langfuse.flush();

// A rejected export makes these reject; record it and let check.py report what Loupe answered.
for (const [what, fn] of [
  ["spanProcessor.forceFlush()", () => spanProcessor.forceFlush()],
  ["sdk.shutdown()", () => sdk.shutdown()],
  ["langfuse.shutdown()", () => langfuse.shutdown()],
]) {
  try {
    await fn();
  } catch (err) {
    console.error(`${what} failed: ${err?.message ?? err} ${err?.data ?? ""}`);
    (ids.flushErrors ??= []).push(`${what}: ${err?.message ?? err}`);
  }
}

ids.sdkVersion = JSON.parse(
  (await import("node:fs")).readFileSync(new URL("./node_modules/@langfuse/tracing/package.json", import.meta.url), "utf8"),
).version;
writeFileSync(join(process.env.SDK_RESULTS_DIR ?? ".", "js-ids.json"), JSON.stringify(ids, null, 1));
console.log(`js @langfuse/tracing ${ids.sdkVersion}; run ${run}; trace ids ${ids.trace} ${ids.openaiTrace}`);
