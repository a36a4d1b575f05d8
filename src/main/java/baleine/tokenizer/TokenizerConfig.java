package baleine.tokenizer;

import java.util.Optional;

/**
 * A model's tokenizer with what surrounds it: the chat template, the BOS/EOS strings the template uses,
 * whether raw prompts start with BOS, and the tokens that end a generation.
 */
public record TokenizerConfig(Tokenizer tokenizer, Optional<String> chatTemplate, String bosToken, String eosToken,
                              boolean addBosToPrompts, int[] endOfGeneration) {
}
