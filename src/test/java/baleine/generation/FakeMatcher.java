package baleine.generation;

import java.util.function.IntPredicate;

/** A {@link JsonMatcher} whose bytes {@code accept} answers (it may throw), never complete: for tests of what uses matchers. */
public record FakeMatcher(IntPredicate accept) implements JsonMatcher {
    @Override
    public boolean accept(int b) {
        return accept.test(b);
    }

    @Override
    public boolean complete() {
        return false;
    }

    @Override
    public JsonMatcher copy() {
        return this;
    }

    @Override
    public boolean insideString() {
        return false;
    }
}
