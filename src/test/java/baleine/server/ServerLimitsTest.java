package baleine.server;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static baleine.server.ServerFixture.chat;
import static baleine.server.ServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Authentication, back-pressure, disconnects and shutdown, each on a server of its own. */
class ServerLimitsTest {
    @Test
    void aContextPerRequestBeyondTheModelsIsRefusedNotCutDown() throws Exception {
        java.nio.file.Path model = baleine.writer.DemoModel.ensure(baleine.writer.DemoModel.cacheDirectory());
        BaleineServer server = new BaleineServer(new ServerConfig("127.0.0.1", 0, 1, 8192, 4, null, List.of(), "demo", 1 << 20, 50, 0, 0),
                () -> baleine.api.Baleine.load(model));
        try {
            assertThatThrownBy(server::awaitLoaded).rootCause()
                    .hasMessage("context size 8192 is more than this model's 4096 tokens; give at most 4096");
            HttpResponse<String> health = java.net.http.HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(json(health.body()).path("message").asText()).isEqualTo("the model failed to load");
        } finally {
            server.close();
        }
    }

    @Test
    void apiKeyIsRequiredExceptForHealth() throws Exception {
        try (ServerFixture f = new ServerFixture(1, 1024, 4, "s3cret", List.of())) {
            assertThat(f.get("/health").statusCode()).isEqualTo(200);
            var missing = f.post("/v1/chat/completions", chat("x", "\"max_tokens\":1"));
            assertThat(missing.statusCode()).isEqualTo(401);
            assertThat(json(missing).path("error").path("code").asText()).isEqualTo("invalid_api_key");
            var wrong = f.post("/v1/chat/completions", chat("x", "\"max_tokens\":1"), "Authorization", "Bearer nope");
            assertThat(wrong.statusCode()).isEqualTo(401);
            assertThat(json(wrong).path("error").path("message").asText()).isEqualTo("invalid API key");
            var ok = f.post("/v1/chat/completions", chat("x", "\"max_tokens\":1"), "Authorization", "Bearer s3cret");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(f.server.warmUpRequests()).as("the warm-up requests carry the key").isTrue();
            assertThat(RequestWarmUp.run("0.0.0.0", f.server.port(), "s3cret")).as("a wildcard host is reached on loopback").isTrue();
            assertThat(RequestWarmUp.run("127.0.0.1", f.server.port(), "wrong")).isFalse();
        }
    }

    /** A streaming request on a client of its own, so that closing that client really drops the connection. */
    private record Stream(java.net.http.HttpClient client, CompletableFuture<HttpResponse<InputStream>> response) {
        void hangUp() {
            client.shutdownNow();
        }
    }

    private static Stream longStream(ServerFixture f) {
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        HttpRequest r = HttpRequest.newBuilder(URI.create(f.url("/v1/chat/completions")))
                .POST(HttpRequest.BodyPublishers.ofString(chat("Go on forever", "\"max_tokens\":100000,\"stream\":true,\"seed\":1,\"logit_bias\":{\"1\":-100}"))).build();
        return new Stream(client, client.sendAsync(r, HttpResponse.BodyHandlers.ofInputStream()));
    }

    private static int running(ServerFixture f) {
        for (String line : f.get("/metrics").body().split("\n")) {
            if (line.startsWith("baleine_requests_running ")) {
                return (int) Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        return -1;
    }

    /**
     * Waits until nothing is queued and n requests run. The queue is read first (both reads happen, in
     * order): a queued request cannot then start between the two reads and make a count of n a passing
     * moment — e.g. a freed slot briefly taken by a queued client that has hung up too.
     */
    private static void awaitRunning(ServerFixture f, int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        int queued, running;
        while (((queued = gauge(f, "baleine_requests_queued")) != 0 | (running = running(f)) != n)
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(queued).isZero();
        assertThat(running).isEqualTo(n);
    }

    private static int gauge(ServerFixture f, String name) {
        for (String line : f.get("/metrics").body().split("\n")) {
            if (line.startsWith(name + " ")) {
                return (int) Double.parseDouble(line.substring(line.indexOf(' ') + 1));
            }
        }
        return -1;
    }

    @Test
    void fullQueueAnswers429AndADisconnectedClientFreesItsSlot() throws Exception {
        try (ServerFixture f = new ServerFixture(1, 4096, 1, null, List.of())) {
            Stream firstStream = longStream(f);
            HttpResponse<InputStream> first = firstStream.response().get();
            first.body().readNBytes(200); // it is generating (about 4000 tokens to go)
            Stream queued = longStream(f);
            while (gauge(f, "baleine_requests_queued") < 1) {
                Thread.onSpinWait();
            }
            var refused = f.post("/v1/chat/completions", chat("x", "\"max_tokens\":1"));
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(json(refused).path("error").path("code").asText()).isEqualTo("queue_full");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();

            // while it waits, the queued stream receives keep-alive comments
            java.io.BufferedReader second = new java.io.BufferedReader(new java.io.InputStreamReader(queued.response().get().body()));
            String line;
            while ((line = second.readLine()) != null && !line.equals(": keep-alive")) {
                assertThat(line).doesNotContain("reasoning_content");
            }
            assertThat(line).isEqualTo(": keep-alive");
            firstStream.hangUp(); // client 1 goes away: its slot is freed within a step, client 2 gets it
            queued.hangUp();
            awaitRunning(f, 0);
        }
    }

    @Test
    void aNonStreamingClientThatHangsUpFreesItsSlotToo() throws Exception {
        try (ServerFixture f = new ServerFixture(1, 4096, 4, null, List.of())) {
            java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
            client.sendAsync(HttpRequest.newBuilder(URI.create(f.url("/v1/chat/completions")))
                    .POST(HttpRequest.BodyPublishers.ofString(chat("Go on", "\"max_tokens\":100000,\"seed\":2,\"logit_bias\":{\"1\":-100}")))
                    .build(), HttpResponse.BodyHandlers.ofString());
            awaitRunning(f, 1);
            client.shutdownNow();
            awaitRunning(f, 0);
            // and a normal non-streaming answer is still plain JSON (maybe after some spaces)
            var ok = f.post("/v1/chat/completions", chat("x", "\"max_tokens\":3"));
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(json(ok).path("usage").path("completion_tokens").asInt()).isPositive();
        }
    }

    @Test
    void shutdownLetsRunningRequestsFinish() throws Exception {
        ServerFixture f = new ServerFixture(1, 4096, 4, null, List.of());
        CompletableFuture<HttpResponse<String>> r = f.client.sendAsync(HttpRequest.newBuilder(URI.create(f.url("/v1/chat/completions")))
                .POST(HttpRequest.BodyPublishers.ofString(chat("Hello", "\"max_tokens\":3000,\"seed\":1,\"logit_bias\":{\"1\":-100}"))).build(), HttpResponse.BodyHandlers.ofString());
        awaitRunning(f, 1);
        f.close();
        HttpResponse<String> done = r.get();
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(json(done).path("usage").path("completion_tokens").asInt()).as(done.body()).isEqualTo(3000);
    }
}
