package dev.rlhf.feedback.annotator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

import dev.rlhf.feedback.api.ApiException;
import dev.rlhf.feedback.api.Inputs;

/**
 * API tokens for scripts and services: a random 32-byte secret shown once at creation; only its
 * SHA-256 is stored, so a leaked database does not leak usable tokens. Every token expires
 * ({@code rlhf.security.tokens}); its owner and admins can list and revoke it.
 */
@Service
public class ApiTokenService {

    private static final String PREFIX = "rlhf_";
    /**
     * How long {@link #accountOf} may answer from memory. API clients send their token with every
     * request; this saves a query per request. A revocation (or a password change or disable, which
     * revoke the account's tokens) in this process takes effect when it commits (the memory is cleared); one
     * made by another instance sharing the database within this time. Expiry is checked at each read
     * from the database, so a token may outlive its expiry by at most this time.
     */
    static final Duration ACCOUNT_CACHE_TTL = Duration.ofSeconds(2);
    /** Bound on remembered tokens; beyond it the memory starts afresh. */
    private static final int ACCOUNT_CACHE_MAX = 10_000;

    private final JdbcClient jdbc;
    private final AnnotatorRepository annotators;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, CachedAccount> accounts = new ConcurrentHashMap<>();
    /** Raised by every clearing of {@link #accounts}; a read that saw it change meanwhile does not keep what it read. */
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();

    private record CachedAccount(Annotator account, long readAtNanos) {
    }

    private final CredentialsProperties properties;

    public ApiTokenService(JdbcClient jdbc, AnnotatorRepository annotators, CredentialsProperties properties) {
        this.jdbc = jdbc;
        this.annotators = annotators;
        this.properties = properties;
    }

    /** The width of {@code api_tokens.name}. */
    public static final int MAX_NAME_CHARS = 100;

    /** Creates a token for the account with the default lifetime and returns its secret (the only time it is visible). */
    public String create(UUID annotatorId, String name) {
        return issue(annotatorId, name, null).token();
    }

    /** A new token: its id, and its secret, shown only this once. */
    public record NewToken(UUID id, String name, String token, Instant expiresAt) {
    }

    /**
     * Creates a token for the account that expires after {@code expiresInDays} (null: the default,
     * {@code rlhf.security.tokens.default-expiry-days}); 400 outside 1 to {@code max-expiry-days}.
     */
    public NewToken issue(UUID annotatorId, String name, Integer expiresInDays) {
        CredentialsProperties.Tokens limits = properties.tokens();
        int days = expiresInDays == null ? limits.defaultExpiryDays() : expiresInDays;
        if (days < 1 || days > limits.maxExpiryDays()) {
            throw ApiException.badRequest("expiresInDays must be 1 to " + limits.maxExpiryDays() + " (default "
                    + limits.defaultExpiryDays() + ")");
        }
        String tokenName = name == null || name.isBlank() ? "api" : Inputs.text("name", name.strip(), MAX_NAME_CHARS);
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        UUID id = UUID.randomUUID();
        Instant expiresAt = Instant.now().plus(Duration.ofDays(days)).truncatedTo(ChronoUnit.SECONDS);
        jdbc.sql("INSERT INTO api_tokens (id, annotator_id, name, token_hash, expires_at) VALUES (?, ?, ?, ?, ?)")
                .params(id, annotatorId, tokenName, hash(token), OffsetDateTime.ofInstant(expiresAt, ZoneOffset.UTC)).update();
        return new NewToken(id, tokenName, token, expiresAt);
    }

    /** The account owning a valid (unrevoked, unexpired, enabled) token: one query, or none when it was read within {@link #ACCOUNT_CACHE_TTL}. */
    public Optional<Annotator> accountOf(String token) {
        String tokenHash = hash(token);
        long now = System.nanoTime();
        CachedAccount cached = accounts.get(tokenHash);
        if (cached != null && now - cached.readAtNanos() < ACCOUNT_CACHE_TTL.toNanos()) {
            return Optional.of(cached.account());
        }
        long readGeneration = generation.get();
        Optional<Annotator> account = annotators.findByApiTokenHash(tokenHash);
        if (account.isPresent()) {
            if (accounts.size() >= ACCOUNT_CACHE_MAX) {
                accounts.clear();
            }
            CachedAccount entry = new CachedAccount(account.get(), now);
            accounts.put(tokenHash, entry);
            // A revocation committed while we read may have been missed by our query and cleared the memory
            // before our put: then forget what we read (the clearing raises the generation before it clears).
            if (generation.get() != readGeneration) {
                accounts.remove(tokenHash, entry);
            }
        } else {
            accounts.remove(tokenHash);
        }
        return account;
    }

    /** Revokes any token (an admin's action); answers false when there is no such active token. */
    public boolean revoke(UUID tokenId) {
        boolean revoked = jdbc.sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = ? AND revoked_at IS NULL")
                .param(tokenId).update() == 1;
        // Only hashes are remembered, not token ids: forget them all (revocations are rare).
        forgetAccounts();
        return revoked;
    }

    /** Revokes every active token of the account (password changed, account disabled); answers how many. */
    public int revokeAll(UUID annotatorId) {
        int revoked = jdbc.sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE annotator_id = ? AND revoked_at IS NULL")
                .param(annotatorId).update();
        forgetAccounts();
        return revoked;
    }

    /**
     * Clears the remembered accounts once the revocation commits (at once outside a transaction):
     * cleared before, a concurrent request could re-cache the still committed, unrevoked row.
     */
    private void forgetAccounts() {
        AfterCommit.run(() -> {
            generation.incrementAndGet();
            accounts.clear();
        });
    }

    /**
     * A token as its owner (or an admin) sees it later: never the secret.
     *
     * @param expiresAt when it stops working (null only for a token of an older version that was revoked)
     */
    public record ApiToken(UUID id, String name, Instant createdAt, Instant revokedAt, Instant expiresAt,
                           UUID annotatorId, String username) {

        public boolean active() {
            return revokedAt == null && (expiresAt == null || expiresAt.isAfter(Instant.now()));
        }

        /** {@code active}, {@code revoked} or {@code expired}. */
        public String status() {
            return revokedAt != null ? "revoked" : active() ? "active" : "expired";
        }
    }

    private static final String TOKEN_COLUMNS = """
            SELECT t.id, t.name, t.created_at, t.revoked_at, t.expires_at, t.annotator_id, a.username
            FROM api_tokens t JOIN annotators a ON a.id = t.annotator_id""";

    /** The account's tokens, newest first, revoked and expired ones included. */
    public List<ApiToken> list(UUID annotatorId) {
        return jdbc.sql(TOKEN_COLUMNS + " WHERE t.annotator_id = ? ORDER BY t.created_at DESC, t.name")
                .param(annotatorId).query(ApiTokenService::mapToken).list();
    }

    /** Every account's tokens (for admins), newest first. */
    public List<ApiToken> listAll() {
        return jdbc.sql(TOKEN_COLUMNS + " ORDER BY t.created_at DESC, a.username, t.name").query(ApiTokenService::mapToken).list();
    }

    public Optional<ApiToken> find(UUID tokenId) {
        return jdbc.sql(TOKEN_COLUMNS + " WHERE t.id = ?").param(tokenId).query(ApiTokenService::mapToken).optional();
    }

    /** Revokes one of the account's own tokens; answers false when it has no such active token. */
    public boolean revoke(UUID annotatorId, UUID tokenId) {
        boolean revoked = jdbc.sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = ? AND annotator_id = ? AND revoked_at IS NULL")
                .params(tokenId, annotatorId).update() == 1;
        forgetAccounts();
        return revoked;
    }

    private static ApiToken mapToken(java.sql.ResultSet rs, int row) throws java.sql.SQLException {
        return new ApiToken(rs.getObject("id", UUID.class), rs.getString("name"), instant(rs, "created_at"),
                instant(rs, "revoked_at"), instant(rs, "expires_at"), rs.getObject("annotator_id", UUID.class), rs.getString("username"));
    }

    private static Instant instant(java.sql.ResultSet rs, String column) throws java.sql.SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
