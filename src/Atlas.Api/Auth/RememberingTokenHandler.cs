using System.Collections.Concurrent;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Atlas.Api.Auth;

/// <summary>
/// The library's <see cref="JsonWebTokenHandler"/>, in <c>JwtBearerOptions.TokenHandlers</c>, remembering the tokens it
/// found valid until they expire. An app sends the same token with every request for as long as it lives, and validating
/// it (decode, parse the JSON, check the signature, build the claims) costs more than a position update it guards
/// (bench <c>http</c>: about a third of the API's throughput). A token is validated by the library the first time; later
/// requests with the very same string get the same result as long as it has not expired on the host's clock. A token
/// that fails is never remembered, so every refusal says why.
/// </summary>
/// <remarks>
/// What a remembered token is not checked against again: signing keys an identity provider has since withdrawn (its
/// tokens stay accepted until they expire, as with any stateless bearer token between key refreshes).
/// </remarks>
internal sealed class RememberingTokenHandler(TimeProvider time) : JsonWebTokenHandler
{
    /// <summary>Bounds the memory: beyond it the handler forgets everything and validates afresh.</summary>
    internal const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, Remembered> _valid = new(StringComparer.Ordinal);

    /// <summary>How many tokens are remembered (tests).</summary>
    internal int Count => _valid.Count;

    public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters)
    {
        if (_valid.TryGetValue(token, out var known))
        {
            if (time.GetUtcNow().UtcDateTime - validationParameters.ClockSkew <= known.Expires)
            {
                return known.Result;
            }
            // Expired: forgotten, and validated again so the refusal comes from the library, saying why.
            _valid.TryRemove(token, out _);
        }
        return ValidateAndRememberAsync(token, validationParameters);
    }

    private async Task<TokenValidationResult> ValidateAndRememberAsync(string token, TokenValidationParameters validationParameters)
    {
        var result = await base.ValidateTokenAsync(token, validationParameters);
        if (result.IsValid && result.SecurityToken.ValidTo != DateTime.MinValue)
        {
            // Built once here (the result builds it lazily), so requests sharing the result only read it.
            _ = result.ClaimsIdentity;
            if (_valid.Count >= Capacity)
            {
                _valid.Clear();
            }
            _valid[token] = new Remembered(Task.FromResult(result), result.SecurityToken.ValidTo);
        }
        return result;
    }

    private sealed record Remembered(Task<TokenValidationResult> Result, DateTime Expires);
}
