package baleine.cli;

import baleine.api.Conversation;
import baleine.generation.GenerationListener;
import baleine.generation.GenerationResult;
import baleine.generation.SamplingParams;
import baleine.generation.SchemaMatcher;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Answers as JSON: any object ({@code --json}, Ollama's {@code --format json}) or one under a schema (llama.cpp's {@code -j}). */
final class JsonOutputOptions {
    @Option(names = "--json", description = "answer with a JSON object (constrained decoding)")
    boolean json;

    @Option(names = {"-j", "--json-schema"}, paramLabel = "SCHEMA",
            description = "answer with JSON valid under this schema: inline JSON, or @FILE (the keywords the server takes)")
    String schema;

    private String schemaText; // the schema itself, once check() has read it (from the option or its @FILE)

    /**
     * Refuses both options at once, and a schema that is not JSON or uses keywords Baleine cannot hold an answer to;
     * reads an @FILE once, before the model loads.
     */
    void check() {
        if (json && schema != null) {
            throw new IllegalArgumentException("give --json or --json-schema, not both");
        }
        if (schema != null) {
            schemaText = read(schema);
            try {
                SchemaMatcher.compile(new ObjectMapper().readTree(schemaText));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("--json-schema is not JSON: " + e.getOriginalMessage());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--json-schema: " + e.getMessage());
            }
        }
    }

    /** Sends {@code message} in the conversation, its answer held to JSON if asked ({@link #check} first). */
    GenerationResult send(Conversation chat, String message, SamplingParams params, GenerationListener listener) {
        return asked() ? chat.sendJson(message, schemaText, params, listener) : chat.send(message, params, listener);
    }

    /** From now on answers are any JSON object ({@code true}) or free text: {@code run}'s {@code /set format json}. */
    void anyObject(boolean on) {
        json = on;
        schema = null;
        schemaText = null;
    }

    boolean asked() {
        return json || schema != null;
    }

    private static String read(String schema) {
        if (!schema.startsWith("@")) {
            return schema;
        }
        Path file = Path.of(schema.substring(1));
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no schema file " + file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the schema file " + file, e);
        }
    }
}
