package baleine.server;

import baleine.chat.ToolCalls;
import baleine.generation.GenerationResult;
import baleine.generation.Sequence;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@code /chat/completions} or {@code /completions} request answered: its choices (one queued job each; a
 * completion's prompts each have theirs, prompt i's choices numbered from i n) sent whole, or streamed as server-sent
 * events as they come, each chunk naming its choice's index.
 */
final class OpenAiGeneration {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpExchange ex;
    private final OpenAiResponses responses;
    private final List<RequestParser.Parsed> prompts;
    /** What the prompts share: every setting but the prompt and its echo. */
    private final RequestParser.Parsed p;
    /** Jobs per prompt: its candidates. */
    private final int perPrompt;
    private final List<Job> jobs;
    private final String id;
    private final boolean chat;
    private final long keepAliveMillis;

    OpenAiGeneration(HttpExchange ex, OpenAiResponses responses, List<RequestParser.Parsed> prompts, List<Job> jobs, String id,
                     boolean chat, long keepAliveMillis) {
        this.ex = ex;
        this.responses = responses;
        this.prompts = prompts;
        this.p = prompts.getFirst();
        this.perPrompt = p.candidates();
        this.jobs = jobs;
        this.id = id;
        this.chat = chat;
        this.keepAliveMillis = keepAliveMillis;
    }

    void answer() throws IOException {
        if (p.stream()) {
            stream();
        } else {
            whole();
        }
    }

    private void cancelAll() {
        jobs.forEach(j -> j.cancel.set(true));
    }

    /**
     * A non-streaming answer. While it is being generated the response has already started and carries a
     * space now and then (whitespace before JSON is still JSON): that is how a client that hung up is noticed,
     * and its sequences freed at the next step. Errors known before that still get their own status.
     */
    private void whole() throws IOException {
        List<Event.Done> done = new ArrayList<>();
        List<List<Sequence.TokenLogprob>> scored = new ArrayList<>(); // per job, echo with logprobs: its prompt's
        OutputStream out = null;
        long checkMillis = Math.min(keepAliveMillis, 1000);
        long quietSince = System.nanoTime(), interval = TimeUnit.MILLISECONDS.toNanos(checkMillis);
        try {
            for (Job job : jobs) {
                Event.Done d = null;
                scored.add(List.of());
                while (d == null) {
                    Event e = job.events.poll(checkMillis, TimeUnit.MILLISECONDS);
                    if (System.nanoTime() - quietSince >= interval) { // tokens flow or not: check the client is still there
                        if (out == null) {
                            ex.getResponseHeaders().set("Content-Type", "application/json");
                            ex.sendResponseHeaders(200, 0);
                            out = ex.getResponseBody();
                        }
                        out.write(' ');
                        out.flush();
                        quietSince = System.nanoTime();
                    }
                    if (e instanceof Event.Failed f) {
                        cancelAll();
                        if (out == null) {
                            throw f.error();
                        }
                        ObjectNode err = JSON.createObjectNode();
                        err.set("error", BaleineServer.errorBody(f.error()));
                        out.write(JSON.writeValueAsBytes(err));
                        return;
                    } else if (e instanceof Event.Done x) {
                        d = x;
                    } else if (e instanceof Event.PromptLogprobs x) {
                        scored.set(scored.size() - 1, x.logprobs());
                    }
                }
                done.add(d);
            }
        } catch (IOException gone) {
            cancelAll(); // the client hung up
            return;
        } catch (InterruptedException e) {
            cancelAll();
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_error", null, "interrupted", "the request was interrupted");
        }
        ObjectNode o = responses.envelope(id, chat ? "chat.completion" : "text_completion");
        ArrayNode choices = o.putArray("choices");
        for (int g = 0; g < prompts.size(); g++) {
            List<Event.Done> kept = best(done.subList(g * perPrompt, (g + 1) * perPrompt), p.n());
            for (int i = 0; i < kept.size(); i++) {
                choices.add(choice(g * p.n() + i, kept.get(i), prompts.get(g).echo(), scored.get(g * perPrompt)));
            }
        }
        o.set("usage", responses.usage(done, perPrompt)); // every candidate's tokens were generated
        if (out == null) {
            BaleineServer.json(ex, 200, o);
        } else {
            out.write(JSON.writeValueAsBytes(o));
        }
    }

    /**
     * The {@code n} answers with the highest log-probability per token, best first ({@code best_of}); all of them,
     * in order, when there are no more than n. An empty answer ranks last.
     */
    static List<Event.Done> best(List<Event.Done> candidates, int n) {
        if (candidates.size() <= n) {
            return candidates;
        }
        return candidates.stream().sorted(java.util.Comparator.comparingDouble(OpenAiGeneration::perToken).reversed()).limit(n).toList();
    }

    private static double perToken(Event.Done d) {
        return d.logprobs().isEmpty() ? Double.NEGATIVE_INFINITY
                : d.logprobs().stream().mapToDouble(Sequence.TokenLogprob::logprob).average().orElseThrow();
    }

    /** {@code scored}: the prompt tokens' log-probabilities, reported before the answer's (echo with logprobs). */
    private ObjectNode choice(int index, Event.Done done, String echo, List<Sequence.TokenLogprob> scored) {
        GenerationResult r = done.result();
        ObjectNode choice = JSON.createObjectNode().put("index", index);
        String finish = OpenAiResponses.finishReason(r);
        if (chat) {
            ObjectNode msg = choice.putObject("message");
            OpenAiResponses.Answer a = OpenAiResponses.answer(p, r.content(), r);
            msg.put("role", "assistant").put("content", a.calls().isEmpty() ? a.text() : null);
            if (!r.reasoning().isEmpty()) {
                msg.put("reasoning_content", r.reasoning());
            }
            if (!a.calls().isEmpty()) {
                msg.set("tool_calls", OpenAiResponses.toolCalls(a.calls(), false));
                finish = "tool_calls";
            }
            choice.set("logprobs", p.topLogprobs() >= 0 ? responses.chatLogprobs(done.logprobs()) : null);
        } else {
            choice.put("text", (echo != null ? echo : "") + r.content());
            List<Sequence.TokenLogprob> all = new ArrayList<>(scored);
            all.addAll(done.logprobs());
            choice.set("logprobs", p.topLogprobs() >= 0 ? responses.completionLogprobs(all) : null);
        }
        return choice.put("finish_reason", finish);
    }

    /** A streamed choice's state: its tool-call parser, the log-probabilities not sent yet, a forced call's text. */
    private final class Streamed {
        final ToolCalls tools = p.tools() ? new ToolCalls() : null;
        final List<Sequence.TokenLogprob> pendingLogprobs = new ArrayList<>();
        final StringBuilder forcedCall = new StringBuilder();
        boolean done;
    }

    private record Indexed(int index, Event event) {
    }

    private void stream() throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        boolean includeUsage = p.includeUsage();
        Streamed[] streamed = new Streamed[jobs.size()]; // best_of is not streamed: choice i is job i
        Event.Done[] done = new Event.Done[jobs.size()];
        int finished = 0;
        try {
            for (int i = 0; i < streamed.length; i++) {
                streamed[i] = new Streamed();
                if (chat) {
                    ObjectNode first = responses.chunk(id, includeUsage, true);
                    first.withArray("choices").addObject().put("index", i).putNull("finish_reason")
                            .putObject("delta").put("role", "assistant").put("content", "");
                    send(out, first);
                } else if (prompts.get(i / perPrompt).echo() != null && !p.scoresPrompt()) { // else with its log-probabilities, once known
                    send(out, responses.delta(id, includeUsage, false, i, "text", prompts.get(i / perPrompt).echo()));
                }
            }
            while (finished < streamed.length) {
                Indexed next = next(streamed);
                if (next == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    continue;
                }
                int i = next.index();
                Streamed s = streamed[i];
                switch (next.event()) {
                    case Event.Reasoning r -> send(out, responses.withLogprobs(responses.delta(id, includeUsage, chat, i, "reasoning_content", r.text()),
                            s.pendingLogprobs, chat));
                    case Event.Logprob l -> s.pendingLogprobs.add(l.logprob());
                    case Event.PromptLogprobs l -> { // the echo, held back until its log-probabilities came
                        ObjectNode echo = responses.delta(id, includeUsage, false, i, "text", prompts.get(i / perPrompt).echo());
                        send(out, responses.withLogprobs(echo, new ArrayList<>(l.logprobs()), false));
                    }
                    case Event.Content c -> {
                        String visible = p.forcedCall() ? "" : s.tools != null ? s.tools.accept(c.text()) : c.text();
                        s.forcedCall.append(p.forcedCall() ? c.text() : "");
                        if (!visible.isEmpty()) {
                            send(out, responses.withLogprobs(responses.delta(id, includeUsage, chat, i, chat ? "content" : "text", visible),
                                    s.pendingLogprobs, chat));
                        }
                    }
                    case Event.Failed f -> {
                        cancelAll();
                        ObjectNode err = JSON.createObjectNode();
                        err.set("error", BaleineServer.errorBody(f.error()));
                        send(out, err);
                        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                        return;
                    }
                    case Event.Done d -> {
                        finish(out, i, s, d);
                        s.done = true;
                        done[i] = d;
                        finished++;
                    }
                }
            }
            if (includeUsage) {
                ObjectNode u = responses.chunk(id, false, chat);
                u.putArray("choices");
                u.set("usage", responses.usage(java.util.Arrays.asList(done), perPrompt));
                send(out, u);
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException gone) {
            cancelAll(); // the client went away: free the slots at the next step
        } catch (InterruptedException e) {
            cancelAll();
            Thread.currentThread().interrupt();
        }
    }

    /** A choice's last chunks: text held back, tool calls, and the finish reason. */
    private void finish(OutputStream out, int i, Streamed s, Event.Done d) throws IOException {
        boolean includeUsage = p.includeUsage();
        String finish = OpenAiResponses.finishReason(d.result());
        OpenAiResponses.Answer a = p.forcedCall() ? OpenAiResponses.answer(p, s.forcedCall.toString(), d.result())
                : s.tools != null ? OpenAiResponses.fromParser(s.tools.finish()) : new OpenAiResponses.Answer(List.of(), "");
        if (!a.text().isEmpty()) {
            send(out, responses.delta(id, includeUsage, chat, i, "content", a.text()));
        }
        if (!a.calls().isEmpty()) {
            ObjectNode calls = responses.chunk(id, includeUsage, chat);
            ObjectNode c = calls.withArray("choices").addObject().put("index", i);
            c.putObject("delta").set("tool_calls", OpenAiResponses.toolCalls(a.calls(), true));
            c.putNull("finish_reason");
            send(out, calls);
            finish = "tool_calls";
        }
        ObjectNode last = responses.chunk(id, includeUsage, chat);
        ObjectNode choice = last.withArray("choices").addObject().put("index", i);
        if (chat) {
            choice.putObject("delta");
        } else {
            choice.put("text", "");
        }
        choice.put("finish_reason", finish);
        send(out, responses.withLogprobs(last, s.pendingLogprobs, chat)); // tokens whose text never completed
    }

    /**
     * The next event of a choice still running, or null when none came for the keep-alive interval. With one
     * choice running, waits on it; with several, looks at each in turn every millisecond.
     */
    private Indexed next(Streamed[] streamed) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(keepAliveMillis);
        while (true) {
            int running = 0, last = -1;
            for (int i = 0; i < streamed.length; i++) {
                if (!streamed[i].done) {
                    Event e = jobs.get(i).events.poll();
                    if (e != null) {
                        return new Indexed(i, e);
                    }
                    running++;
                    last = i;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || running == 0) {
                return null;
            }
            Event e = jobs.get(last).events.poll(running == 1 ? left : Math.min(left, TimeUnit.MILLISECONDS.toNanos(1)), TimeUnit.NANOSECONDS);
            if (e != null) {
                return new Indexed(last, e);
            }
        }
    }

    private static void send(OutputStream out, ObjectNode n) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(n) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
