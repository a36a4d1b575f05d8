package baleine.generation;

import baleine.generation.SchemaMatcher.ArrayNode;
import baleine.generation.SchemaMatcher.LiteralNode;
import baleine.generation.SchemaMatcher.Node;
import baleine.generation.SchemaMatcher.NumberNode;
import baleine.generation.SchemaMatcher.ObjectNode;
import baleine.generation.SchemaMatcher.RefNode;
import baleine.generation.SchemaMatcher.StringNode;
import baleine.generation.SchemaMatcher.UnionNode;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A JSON schema compiled for {@link SchemaMatcher}, keyword by keyword; what it cannot hold an answer to is refused
 * with the keyword's path. The definitions a schema refers to are compiled once each, on first reference.
 */
final class SchemaCompiler {
    private static final Set<String> KNOWN = Set.of("type", "properties", "required", "additionalProperties", "items", "minItems",
            "maxItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
            "enum", "const", "multipleOf", "minProperties", "maxProperties", "anyOf", "oneOf", "discriminator", "allOf", "$ref", "$defs", "definitions", "title", "description",
            "$schema", "default", "examples");
    /**
     * Keywords that only describe: allowed beside {@code $ref} and the unions ({@code discriminator}, OpenAPI's and
     * Pydantic's, names the property that tells a oneOf's options apart; it changes nothing that is valid).
     */
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "$schema", "default", "examples", "$defs",
            "definitions", "discriminator");

    /** What an object schema may hold beside annotations, for {@code allOf}'s merge. */
    private static final Set<String> OBJECT_KEYWORDS = Set.of("type", "properties", "required", "additionalProperties",
            "minProperties", "maxProperties");

    private final JsonNode root;
    private final Map<String, Node> compiled = new HashMap<>(); // by reference ("#", "#/$defs/Name")

    SchemaCompiler(JsonNode root) {
        this.root = root;
    }

    Node compileRoot() {
        Node n = compile(root, "$");
        compiled.put("#", n);
        for (Node target : compiled.values()) {
            checkGuarded(target, Collections.newSetFromMap(new IdentityHashMap<>()), "$");
        }
        return n;
    }

    private Node compile(JsonNode s, String path) {
        if (!s.isObject()) {
            throw new IllegalArgumentException(path + ": a schema must be an object");
        }
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!KNOWN.contains(k)) {
                throw new IllegalArgumentException(path + ": schema keyword '" + k + "' is not supported for constrained output");
            }
        }
        if (s.has("$ref")) {
            onlyAnnotationsBeside(s, "$ref", path);
            return reference(s.get("$ref").asText(), path);
        }
        if (s.has("allOf")) {
            if (!s.get("allOf").isArray() || s.get("allOf").isEmpty()) {
                throw new IllegalArgumentException(path + ": allOf must be a non-empty array of schemas");
            }
            if (s.get("allOf").size() == 1 && onlyAnnotations(s, "allOf")) { // what older Pydantic writes around a described $ref
                return compile(s.get("allOf").get(0), path + ".allOf[0]");
            }
            return compile(mergedObject(s, path), path);
        }
        for (String union : List.of("anyOf", "oneOf")) { // oneOf: valid under exactly one option
            if (s.has(union)) {
                onlyAnnotationsBeside(s, union, path);
                List<Node> options = new ArrayList<>();
                int i = 0;
                for (JsonNode option : iterable(s.get(union))) {
                    options.add(compile(option, path + "." + union + "[" + i++ + "]"));
                }
                return union(options, union.equals("oneOf"), path + ": " + union + " is empty");
            }
        }
        if (s.has("enum") || s.has("const")) {
            return literals(s, path);
        }
        JsonNode type = s.path("type");
        if (type.isArray()) { // a list of types: one schema per type, with the same keywords
            List<Node> options = new ArrayList<>();
            for (JsonNode t : iterable(type)) {
                options.add(typed(s, t.asText(), path));
            }
            return union(options, false, path + ": the list of types is empty");
        }
        return typed(s, type.asText(s.has("properties") ? "object" : ""), path);
    }

    /** The options as one node: the only one, or their union; none is an error saying {@code ifEmpty}. */
    private static Node union(List<Node> options, boolean exclusive, String ifEmpty) {
        if (options.isEmpty()) {
            throw new IllegalArgumentException(ifEmpty);
        }
        return options.size() == 1 ? options.getFirst() : new UnionNode(options, exclusive);
    }

    /**
     * An {@code allOf} of object schemas (its parts, {@code $ref}s to them, and the object keywords beside it) as
     * one object schema: the parts' properties and required names united, the tightest property counts. As
     * everywhere here, the answer holds only declared properties, so a part's {@code additionalProperties: false}
     * agrees with the union (the common intent: a base model and its extension). Anything else is refused: a
     * property two parts define differently, a part that is not an object schema.
     */
    private JsonNode mergedObject(JsonNode s, String path) {
        List<JsonNode> parts = new ArrayList<>();
        allOfParts(s, path, parts, new HashSet<>());
        com.fasterxml.jackson.databind.node.ObjectNode merged = JsonNodeFactory.instance.objectNode().put("type", "object");
        com.fasterxml.jackson.databind.node.ObjectNode properties = JsonNodeFactory.instance.objectNode();
        boolean declared = false; // some part lists properties: the answer holds those only
        LinkedHashSet<String> required = new LinkedHashSet<>();
        int min = 0, max = Integer.MAX_VALUE;
        boolean closed = false;
        for (JsonNode part : parts) {
            for (Iterator<String> it = part.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!ANNOTATIONS.contains(k) && !OBJECT_KEYWORDS.contains(k)) {
                    throw new IllegalArgumentException(path + ": allOf is supported for object schemas, merged; a part has '" + k + "'");
                }
            }
            if (part.has("type") && !part.get("type").asText().equals("object")) {
                throw new IllegalArgumentException(path + ": allOf is supported for object schemas, merged; a part has type " + part.get("type"));
            }
            JsonNode additional = part.path("additionalProperties");
            if (!additional.isMissingNode() && !additional.equals(BooleanNode.FALSE)) {
                throw new IllegalArgumentException(path + ": allOf parts with additionalProperties other than false are not supported for constrained output");
            }
            closed |= !additional.isMissingNode();
            declared |= part.has("properties") || part.has("required");
            for (Iterator<Map.Entry<String, JsonNode>> it = part.path("properties").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                JsonNode before = properties.get(p.getKey());
                if (before != null && !before.equals(p.getValue())) {
                    throw new IllegalArgumentException(path + ": allOf parts define property '" + p.getKey() + "' differently; not supported");
                }
                properties.set(p.getKey(), p.getValue());
            }
            part.path("required").forEach(r -> required.add(r.asText()));
            min = Math.max(min, part.path("minProperties").asInt(0));
            max = Math.min(max, part.path("maxProperties").asInt(Integer.MAX_VALUE));
        }
        if (declared) {
            merged.set("properties", properties);
            required.forEach(merged.putArray("required")::add);
        }
        if (closed) {
            merged.put("additionalProperties", false);
        }
        if (min > 0) {
            merged.put("minProperties", min);
        }
        if (max < Integer.MAX_VALUE) {
            merged.put("maxProperties", max);
        }
        return merged;
    }

    /** The object schemas an allOf stands for, in order: its parts (references followed, nested allOfs flattened), then the keywords beside it. */
    private void allOfParts(JsonNode s, String path, List<JsonNode> parts, Set<String> following) {
        if (s.has("$ref")) {
            onlyAnnotationsBeside(s, "$ref", path);
            String ref = s.get("$ref").asText();
            if (!following.add(ref)) {
                throw new IllegalArgumentException(path + ": allOf refers to '" + ref + "' inside itself");
            }
            allOfParts(definition(ref, path), ref, parts, following);
            following.remove(ref);
            return;
        }
        if (!s.has("allOf")) {
            parts.add(s);
            return;
        }
        int i = 0;
        for (JsonNode part : iterable(s.get("allOf"))) {
            if (!part.isObject()) {
                throw new IllegalArgumentException(path + ".allOf[" + i + "]: a schema must be an object");
            }
            allOfParts(part, path + ".allOf[" + i++ + "]", parts, following);
        }
        com.fasterxml.jackson.databind.node.ObjectNode beside = s.deepCopy();
        beside.remove("allOf");
        if (!onlyAnnotations(beside, null)) {
            parts.add(beside);
        }
    }

    private static boolean onlyAnnotations(JsonNode s, String besides) {
        return keywordBeside(s, besides) == null;
    }

    private static void onlyAnnotationsBeside(JsonNode s, String keyword, String path) {
        String k = keywordBeside(s, keyword);
        if (k != null) {
            throw new IllegalArgumentException(path + ": '" + k + "' beside '" + keyword + "' is not supported for constrained output");
        }
    }

    /** The first keyword of {@code s}, other than {@code besides}, that is not an annotation; null if none. */
    private static String keywordBeside(JsonNode s, String besides) {
        for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!k.equals(besides) && !ANNOTATIONS.contains(k)) {
                return k;
            }
        }
        return null;
    }

    /** {@code #}, or {@code #/$defs/Name} / {@code #/definitions/Name} of the root schema. */
    private Node reference(String ref, String path) {
        if (compiled.containsKey(ref) || ref.equals("#")) {
            return new RefNode(ref, compiled);
        }
        JsonNode target = definition(ref, path);
        compiled.put(ref, null); // being compiled: a reference to it from inside resolves later
        compiled.put(ref, compile(target, ref));
        return new RefNode(ref, compiled);
    }

    /** The schema {@code ref} names: the root ({@code #}) or one under {@code #/$defs} or {@code #/definitions}. */
    private JsonNode definition(String ref, String path) {
        if (ref.equals("#")) {
            return root;
        }
        String[] parts = ref.split("/");
        JsonNode target = parts.length == 3 && parts[0].equals("#") && (parts[1].equals("$defs") || parts[1].equals("definitions"))
                ? root.path(parts[1]).path(parts[2].replace("~1", "/").replace("~0", "~")) : null;
        if (target == null || target.isMissingNode() || !target.isObject()) {
            throw new IllegalArgumentException(path + ": $ref '" + ref + "' does not name the root (#) or a schema under"
                    + " #/$defs or #/definitions");
        }
        return target;
    }

    /**
     * Refuses a schema that could refer to itself before any character is read ({@code A = anyOf[A, ...]}):
     * matching it would never start. Objects and arrays read a character before their values start.
     */
    private static void checkGuarded(Node n, Set<Node> entered, String path) {
        switch (n) {
            case RefNode r -> {
                if (!entered.add(r.target())) {
                    throw new IllegalArgumentException(path + ": $ref '" + r.ref + "' refers to itself before any value starts");
                }
                checkGuarded(r.target(), entered, path);
                entered.remove(r.target());
            }
            case UnionNode u -> {
                for (Node o : u.options()) {
                    checkGuarded(o, entered, path);
                }
            }
            default -> {
            }
        }
    }

    private static LiteralNode literals(JsonNode s, String path) {
        List<byte[]> options = new ArrayList<>();
        for (JsonNode v : s.has("const") ? List.of(s.get("const")) : iterable(s.get("enum"))) {
            options.add(v.toString().getBytes(StandardCharsets.UTF_8));
        }
        for (byte[] a : options) {
            for (byte[] b : options) {
                if (a != b && b.length > a.length && Arrays.equals(a, 0, a.length, b, 0, a.length)) {
                    throw new IllegalArgumentException(path + ": enum value " + new String(a, StandardCharsets.UTF_8)
                            + " is a prefix of another; not supported");
                }
            }
        }
        if (options.isEmpty()) {
            throw new IllegalArgumentException(path + ": enum is empty");
        }
        return new LiteralNode(options);
    }

    private Node typed(JsonNode s, String type, String path) {
        return switch (type) {
            case "object" -> {
                JsonNode additional = s.path("additionalProperties");
                boolean counted = s.has("minProperties") || s.has("maxProperties");
                boolean free = !s.has("properties") && !s.has("required") && !additional.isObject() && additional.asBoolean(true);
                if (free && !counted) {
                    yield SchemaMatcher.ANY_OBJECT; // no properties declared, none forbidden: a free-form object
                }
                List<String> names = new ArrayList<>();
                List<byte[]> bytes = new ArrayList<>();
                List<Node> values = new ArrayList<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = s.path("properties").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> p = it.next();
                    if (p.getKey().chars().anyMatch(ch -> ch == '"' || ch == '\\' || ch < 0x20)) {
                        throw new IllegalArgumentException(path + ": property names with quotes, backslashes or control characters are not supported");
                    }
                    names.add(p.getKey());
                    bytes.add(p.getKey().getBytes(StandardCharsets.UTF_8));
                    values.add(compile(p.getValue(), path + "." + p.getKey()));
                }
                BitSet required = new BitSet();
                for (JsonNode r : iterable(s.path("required"))) {
                    int i = names.indexOf(r.asText());
                    if (i < 0) {
                        throw new IllegalArgumentException(path + ": required property '" + r.asText() + "' is not among the properties");
                    }
                    required.set(i);
                }
                // other keys only where their values have a schema: with properties declared and additionalProperties
                // true or missing, producing just the declared ones is valid and what the schema's author wants
                Node extra = additional.isObject() ? compile(additional, path + ".*") : free ? SchemaMatcher.ANY_VALUE : null;
                int[] count = bounds(s, "minProperties", "maxProperties", path);
                int min = count[0], max = count[1];
                if (required.cardinality() > max) {
                    throw new IllegalArgumentException(path + ": minProperties / maxProperties are inconsistent (with the required properties)");
                }
                if (extra == null && min > names.size()) {
                    throw new IllegalArgumentException(path + ": minProperties " + min + " is more than the " + names.size() + " properties the schema allows");
                }
                yield new ObjectNode(names, bytes, values, required, extra, min, max);
            }
            case "array" -> {
                if (!s.has("items")) {
                    throw new IllegalArgumentException(path + ": arrays need an items schema");
                }
                int[] count = bounds(s, "minItems", "maxItems", path);
                yield new ArrayNode(compile(s.get("items"), path + "[]"), count[0], count[1]);
            }
            case "string" -> {
                int[] length = bounds(s, "minLength", "maxLength", path);
                yield new StringNode(length[0], length[1], StringPatterns.of(s, path));
            }
            case "number", "integer" -> number(s, type.equals("integer"), path);
            case "boolean" -> new LiteralNode(List.of("true".getBytes(StandardCharsets.UTF_8), "false".getBytes(StandardCharsets.UTF_8)));
            case "null" -> new LiteralNode(List.of("null".getBytes(StandardCharsets.UTF_8)));
            default -> throw new IllegalArgumentException(path + ": type '" + type + "' is not supported (give one of object, array, "
                    + "string, number, integer, boolean, null)");
        };
    }

    /** A count's bounds {@code {min, max}} from the keywords {@code minKey} (default 0) and {@code maxKey} (default none). */
    private static int[] bounds(JsonNode s, String minKey, String maxKey, String path) {
        int min = s.path(minKey).asInt(0), max = s.path(maxKey).asInt(Integer.MAX_VALUE);
        if (min < 0 || max < min) {
            throw new IllegalArgumentException(path + ": " + minKey + " / " + maxKey + " are inconsistent");
        }
        return new int[]{min, max};
    }

    /** A number or integer: its range, and for an integer without one, a {@code multipleOf} (a positive integer). */
    private static NumberNode number(JsonNode s, boolean integer, String path) {
        NumberRange range = NumberRange.of(s, integer, path);
        if (!s.has("multipleOf")) {
            return new NumberNode(integer, range, 0);
        }
        JsonNode m = s.get("multipleOf");
        if (!integer || !m.isIntegralNumber() || !m.canConvertToLong() || m.asLong() <= 0 || m.asLong() > 100_000_000_000_000_000L) {
            throw new IllegalArgumentException(path + ": multipleOf is supported for integers, as a positive integer up to 10^17");
        }
        if (range.bounded()) {
            throw new IllegalArgumentException(path + ": multipleOf beside minimum / maximum is not supported for constrained output");
        }
        return new NumberNode(true, range, m.asLong());
    }

    private static Iterable<JsonNode> iterable(JsonNode n) {
        List<JsonNode> l = new ArrayList<>();
        n.forEach(l::add);
        return l;
    }
}
