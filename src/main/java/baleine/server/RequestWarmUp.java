package baleine.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Requests a server sends itself once its model is loaded: a chat completion and a streamed one, through the whole
 * request path (HTTP, JSON, chat template, tokenizer, scheduler, sampler, the response), so that the JIT has compiled
 * that code too, not only the model's kernels, before a client's first request.
 */
final class RequestWarmUp {
    private static final String MESSAGES = "[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
            + "{\"role\":\"user\",\"content\":\"Write two sentences about the sea, the wind and the whales that cross it.\"}]";

    private RequestWarmUp() {
    }

    /**
     * Sends the requests to the server listening on {@code host} (the loopback interface when that is a wildcard)
     * and {@code port}; returns whether both were answered with 200.
     */
    static boolean run(String host, int port, String apiKey) {
        URI uri;
        try {
            InetAddress address = InetAddress.getByName(host);
            address = address.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : address;
            uri = new URI("http", null, address.getHostAddress(), port, "/v1/chat/completions", null, null);
        } catch (IOException | URISyntaxException e) {
            return false;
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        boolean ok = true;
        for (boolean stream : new boolean[]{false, true}) {
            String body = "{\"messages\":" + MESSAGES + ",\"max_tokens\":16,\"temperature\":0.7,\"seed\":1,\"stream\":" + stream + "}";
            HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofMinutes(2)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
            if (apiKey != null) {
                request.header("Authorization", "Bearer " + apiKey);
            }
            try {
                ok &= client.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (IOException e) {
                ok = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return ok;
    }
}
