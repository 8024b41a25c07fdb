"""Python SDK 2.x prompt management against Loupe (docs/COMPATIBILITY.md §5).

The seed workflow (create, get by label / version / latest, compile, config, fallback), a label
move with update_prompt, a chat prompt (2.x has no placeholders: its chat model needs a role and
content in every message), a folder name, and a generation linked to its prompt version through
POST /ingestion (`promptName` + `promptVersion`). Fetches after a change use cache_ttl_seconds=0.
"""

import sys
import uuid

from langfuse import Langfuse

from loupecheck import Suite, eq, truthy

RUN = uuid.uuid4().hex[:8]
NAME = f"movie-critic-py2-{RUN}"
suite = Suite("py2-prompts")
api = suite.api
langfuse = Langfuse()
fresh = {"cache_ttl_seconds": 0}

with suite.check("seed workflow: create_prompt (Chinese text, production, config)"):
    created = langfuse.create_prompt(
        name=NAME,
        prompt="作为一个{{expertise_level}}的影评人，请评价电影《{{movie_name}}》",
        labels=["production"],
        config={"model": "gpt-4", "temperature": 0.7},
    )
    eq(created.version, 1, "version")

with suite.check("seed workflow: get_prompt by label, by version, latest; compile; config"):
    prompt = langfuse.get_prompt(NAME, label="production")
    eq(prompt.version, 1, "version")
    eq(prompt.compile(expertise_level="资深", movie_name="霸王别姬"), "作为一个资深的影评人，请评价电影《霸王别姬》", "compile()")
    eq(prompt.config, {"model": "gpt-4", "temperature": 0.7}, "config")
    eq(langfuse.get_prompt(NAME, version=1).version, 1, "by version")
    eq(langfuse.get_prompt(NAME, label="latest").version, 1, "latest")
    eq(langfuse.get_prompt(NAME).version, 1, "default (production)")

with suite.check("seed workflow: a missing prompt falls back"):
    fallback = langfuse.get_prompt(f"missing-py2-{RUN}", fallback="Hello {{who}}")
    eq(fallback.is_fallback, True, "is_fallback")
    eq(fallback.compile(who="Loupe"), "Hello Loupe", "fallback compile()")

with suite.check("a new version, then update_prompt moves production"):
    v2 = langfuse.create_prompt(name=NAME, prompt="v2: rate {{movie_name}}", commit_message="shorter")
    eq(v2.version, 2, "version")
    eq(langfuse.get_prompt(NAME, **fresh).version, 1, "production still on 1")
    eq(langfuse.get_prompt(NAME, label="latest", **fresh).version, 2, "latest on 2")
    langfuse.update_prompt(name=NAME, version=2, new_labels=["production"])
    eq(langfuse.get_prompt(NAME, **fresh).compile(movie_name="Up"), "v2: rate Up", "production now on 2")

with suite.check("chat prompt: create, get(type=chat), compile"):
    langfuse.create_prompt(
        name=f"chat-py2-{RUN}", type="chat", labels=["production"],
        prompt=[{"role": "system", "content": "You are a {{level}} critic"}, {"role": "user", "content": "Rate {{movie}}"}],
    )
    chat = langfuse.get_prompt(f"chat-py2-{RUN}", type="chat")
    eq(chat.compile(level="kind", movie="Up"),
       [{"role": "system", "content": "You are a kind critic"}, {"role": "user", "content": "Rate Up"}], "compiled messages")

with suite.check("a folder name is fetched URL-encoded"):
    langfuse.create_prompt(name=f"folder-{RUN}/inner", prompt="inside", labels=["production"])
    eq(langfuse.get_prompt(f"folder-{RUN}/inner").prompt, "inside", "prompt")

with suite.check("a generation made with the prompt is linked to that version (POST /ingestion)"):
    prompt = langfuse.get_prompt(NAME, **fresh)
    trace = langfuse.trace(name="py2-prompted")
    generation = trace.generation(name="prompted", model="gpt-4o", prompt=prompt, output="ok")
    langfuse.flush()
    observation = api.observation(generation.id)
    eq(observation.get("promptName"), NAME, "promptName")
    eq(observation.get("promptVersion"), 2, "promptVersion")
    truthy(observation.get("promptId"), "promptId")

langfuse.shutdown()
sys.exit(suite.finish())
