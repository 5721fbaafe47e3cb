using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Atlas.Api.Auth;

/// <summary>Issues and validates the API's HMAC-SHA256 JWTs (claims <c>sub</c> and <c>role</c>).</summary>
public sealed class TokenService
{
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false, SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials _credentials;
    private readonly TokenValidationParameters _validation;

    // Validating a JWT (decode, parse, HMAC, claims) costs far more than the request it guards, and an app sends the
    // same token for an hour: each token is validated once and its principal reused until the token expires.
    private readonly ConcurrentDictionary<string, ValidatedToken> _validated = new(StringComparer.Ordinal);
    private const int MaxCachedTokens = 100_000;

    public TokenService(IOptions<AuthOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        // Development mode: a key nobody else knows, so tokens die with the process.
        var key = new SymmetricSecurityKey(_options.IsDevelopmentMode ? RandomNumberGenerator.GetBytes(32) : Encoding.UTF8.GetBytes(_options.SigningKey!));
        _credentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = _options.ClockSkew,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            NameClaimType = Caller.UserIdClaim,
            RoleClaimType = Caller.RoleClaim,
            LifetimeValidator = ValidateLifetime,
        };
    }

    public bool IsDevelopmentMode => _options.IsDevelopmentMode;

    /// <summary>A token for <paramref name="userId"/> in <paramref name="role"/>, valid for <see cref="AuthOptions.TokenLifetime"/>.</summary>
    public IssuedToken Issue(string userId, string role)
    {
        var now = _time.GetUtcNow();
        var expires = now + _options.TokenLifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = new Dictionary<string, object> { [Caller.UserIdClaim] = userId, [Caller.RoleClaim] = role },
            SigningCredentials = _credentials,
        });
        return new IssuedToken(token, expires);
    }

    /// <summary>The caller a token stands for, or why it is refused.</summary>
    public ValueTask<TokenCheck> ValidateAsync(string token)
    {
        if (_validated.TryGetValue(token, out var known))
        {
            if (_time.GetUtcNow().UtcDateTime <= known.Expires + _options.ClockSkew)
            {
                return ValueTask.FromResult(new TokenCheck(known.Principal, null));
            }
            _validated.TryRemove(token, out _);
        }
        return new ValueTask<TokenCheck>(ValidateAndRememberAsync(token));
    }

    private async Task<TokenCheck> ValidateAndRememberAsync(string token)
    {
        var check = await ValidateUncachedAsync(token);
        if (check.Principal is { } principal && check.Expires is { } expires)
        {
            if (_validated.Count >= MaxCachedTokens)
            {
                _validated.Clear(); // crude but bounded: the next requests validate again
            }
            _validated[token] = new ValidatedToken(principal, expires);
        }
        return check;
    }

    private async Task<TokenCheck> ValidateUncachedAsync(string token)
    {
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid)
        {
            return new TokenCheck(null, Describe(result.Exception));
        }
        var identity = result.ClaimsIdentity;
        var caller = Caller.TryFrom(new ClaimsPrincipal(identity));
        if (caller is null || !Roles.IsKnown(caller.Role) || !Validation.RequestErrors.IsValidId(caller.UserId))
        {
            return new TokenCheck(null, "The token does not name a valid user and role.");
        }
        return new TokenCheck(new CallerPrincipal(identity, caller), null, result.SecurityToken.ValidTo);
    }

    /// <summary>Checks with the injected clock (tests move it); the handler's own check would use the system clock.</summary>
    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } end && now <= end + parameters.ClockSkew && (notBefore is not { } start || now >= start - parameters.ClockSkew);
    }

    private static string Describe(Exception? exception) => exception switch
    {
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenInvalidLifetimeException => "The token has expired or is not valid yet.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature is not valid.",
        SecurityTokenInvalidIssuerException => "The token was issued by someone else.",
        SecurityTokenInvalidAudienceException => "The token is meant for another audience.",
        SecurityTokenInvalidAlgorithmException => "The token is signed with an algorithm that is not accepted.",
        _ => "The token is not a valid JWT.",
    };
}

/// <summary>A token and its expiry.</summary>
public sealed record IssuedToken(string AccessToken, DateTimeOffset ExpiresAt);

/// <summary>A validated principal (and when its token expires), or the reason a token was refused.</summary>
public sealed record TokenCheck(ClaimsPrincipal? Principal, string? Failure, DateTime? Expires = null);

/// <summary>A token validated before, kept with its principal until it expires.</summary>
internal sealed record ValidatedToken(ClaimsPrincipal Principal, DateTime Expires);
