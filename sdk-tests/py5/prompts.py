"""Python SDK 5.x prompt management against Loupe (docs/COMPATIBILITY.md §5).

The issue's seed workflow as written (create_prompt with a Chinese template, labels and config;
get_prompt by label, by version and `latest`; compile; config; a fallback for a missing prompt),
then versions and label moves (update_prompt), a chat prompt compiled with a placeholder, a
folder name, a composed prompt, a generation linked to its prompt version, and a refused name.
Every fetch after a change uses cache_ttl_seconds=0: the SDK's cache would otherwise serve the
old version for 60 s (which is Langfuse's behaviour, not Loupe's).
"""

import sys
import uuid

from langfuse import get_client

from loupecheck import Suite, eq, truthy

RUN = uuid.uuid4().hex[:8]
suite = Suite("py5-prompts")
api = suite.api
langfuse = get_client()
fresh = {"cache_ttl_seconds": 0}

with suite.check("seed workflow: create_prompt(movie-critic, Chinese text, production, config)"):
    created = langfuse.create_prompt(
        name="movie-critic",
        prompt="作为一个{{expertise_level}}的影评人，请评价电影《{{movie_name}}》",
        labels=["production"],
        config={"model": "gpt-4", "temperature": 0.7},
    )
    eq(created.version, 1, "version")
    eq(sorted(created.labels), ["latest", "production"], "labels")

with suite.check("seed workflow: get_prompt(label=production), compile, config"):
    prompt = langfuse.get_prompt("movie-critic", label="production")
    eq(prompt.version, 1, "version")
    eq(prompt.is_fallback, False, "is_fallback")
    eq(prompt.compile(expertise_level="资深", movie_name="霸王别姬"), "作为一个资深的影评人，请评价电影《霸王别姬》", "compile()")
    eq(prompt.config, {"model": "gpt-4", "temperature": 0.7}, "config")
    eq(sorted(prompt.variables), ["expertise_level", "movie_name"], "variables")

with suite.check("seed workflow: get_prompt(version=1) and get_prompt(label=latest)"):
    eq(langfuse.get_prompt("movie-critic", version=1).prompt, created.prompt, "by version 1")
    eq(langfuse.get_prompt("movie-critic", label="latest").version, 1, "latest before a new version")
    eq(langfuse.get_prompt("movie-critic").version, 1, "no label (the SDK sends none; the server serves production)")

with suite.check("seed workflow: a missing prompt falls back without raising"):
    fallback = langfuse.get_prompt(f"does-not-exist-{RUN}", fallback="Rate {{movie}} as a {{level}} critic")
    eq(fallback.is_fallback, True, "is_fallback")
    eq(fallback.compile(movie="Alien", level="fair"), "Rate Alien as a fair critic", "fallback compile()")

with suite.check("a missing prompt without fallback raises the SDK's not-found error"):
    try:
        langfuse.get_prompt(f"does-not-exist-{RUN}-2", max_retries=0)
    except Exception as e:  # the SDK wraps the 404 in its NotFoundError
        truthy("404" in repr(e) or "NotFound" in type(e).__name__ or "not found" in str(e).lower(), f"not-found error: {e!r}")
    else:
        raise AssertionError("get_prompt of a missing prompt returned something")

with suite.check("a new version takes latest; production stays until moved (update_prompt)"):
    v2 = langfuse.create_prompt(name="movie-critic", prompt="Rate 《{{movie_name}}》 as a {{expertise_level}} critic.",
                                config={"model": "gpt-4o"}, commit_message="English version")
    eq(v2.version, 2, "new version")
    eq(langfuse.get_prompt("movie-critic", label="latest", **fresh).version, 2, "latest")
    eq(langfuse.get_prompt("movie-critic", **fresh).version, 1, "production still on 1")
    langfuse.update_prompt(name="movie-critic", version=2, new_labels=["production"])
    now = langfuse.get_prompt("movie-critic", **fresh)
    eq(now.version, 2, "production moved to 2")
    eq(now.config, {"model": "gpt-4o"}, "config of version 2")
    eq(langfuse.get_prompt("movie-critic", version=1, **fresh).labels, [], "version 1 lost production")

with suite.check("chat prompt with a placeholder: create, get(type=chat), compile with history"):
    langfuse.create_prompt(
        name=f"chat-critic-{RUN}",
        type="chat",
        prompt=[
            {"role": "system", "content": "You are a {{criticlevel}} movie critic"},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "Rate {{movie}}"},
        ],
        labels=["production"],
        config={"temperature": 0.2},
    )
    chat = langfuse.get_prompt(f"chat-critic-{RUN}", type="chat")
    eq(chat.version, 1, "version")
    history = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]
    compiled = chat.compile(criticlevel="expert", movie="Dune", history=history)
    eq(
        [(m["role"], m["content"]) for m in compiled],
        [("system", "You are a expert movie critic"), ("user", "Hi"), ("assistant", "Hello!"), ("user", "Rate Dune")],
        "compiled messages",
    )
    eq(sorted(chat.variables), ["criticlevel", "movie"], "variables")

with suite.check("a folder name (team/…) is created and fetched URL-encoded"):
    name = f"team-{RUN}/reviewer"
    langfuse.create_prompt(name=name, prompt="Review {{code}}", labels=["production"])
    eq(langfuse.get_prompt(name).compile(code="x = 1"), "Review x = 1", "compile()")

with suite.check("a composed prompt arrives resolved"):
    langfuse.create_prompt(name=f"tone-{RUN}", prompt="Be concise.", labels=["production"])
    langfuse.create_prompt(name=f"composed-{RUN}", labels=["production"],
                           prompt=f"@@@langfusePrompt:name=tone-{RUN}|label=production@@@ Summarize {{{{text}}}}.")
    eq(langfuse.get_prompt(f"composed-{RUN}").compile(text="the plot"), "Be concise. Summarize the plot.", "resolved + compiled")

with suite.check("a refused name is an error the SDK raises (400)"):
    try:
        langfuse.create_prompt(name="bad|name", prompt="x")
    except Exception as e:
        truthy("400" in repr(e) or "name" in str(e), f"error names the problem: {e!r}")
    else:
        raise AssertionError("create_prompt accepted a name with '|'")

with suite.check("a generation made with the prompt is linked to that version"):
    prompt = langfuse.get_prompt("movie-critic", **fresh)
    with langfuse.start_as_current_observation(name="prompted-generation", as_type="generation", prompt=prompt) as gen:
        gen.update(model="gpt-4o", output="9/10")
        gen_id, trace_id = gen.id, gen.trace_id
    langfuse.flush()
    observation = api.observation(gen_id)
    eq(observation.get("promptName"), "movie-critic", "promptName")
    eq(observation.get("promptVersion"), 2, "promptVersion")
    server = langfuse.api.prompts.get("movie-critic", version=2)
    eq(observation.get("promptId"), server.id, "promptId (the version's id)")

langfuse.shutdown()
sys.exit(suite.finish())
