using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Atlas.Api.Auth;

/// <summary>
/// Issues the API's HMAC-SHA256 JWTs (claims <c>sub</c> and <see cref="AuthOptions.RoleClaim"/>) and holds their key, which the JwtBearer
/// handler validates them with (<see cref="JwtBearerSetup"/>).
/// </summary>
public sealed class TokenService
{
    private readonly AuthOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials _credentials;

    public TokenService(IOptions<AuthOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        // No configured key: one nobody else knows, so tokens die with the process.
        SigningKey = new SymmetricSecurityKey(string.IsNullOrEmpty(_options.SigningKey)
            ? RandomNumberGenerator.GetBytes(32)
            : Encoding.UTF8.GetBytes(_options.SigningKey))
        {
            // Named, so that a token naming another key (an identity provider's) is told apart by its kid.
            KeyId = KeyId,
        };
        _credentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256);
    }

    /// <summary>The <c>kid</c> of the API's own signing key.</summary>
    public const string KeyId = "atlas";

    /// <summary>The key tokens are signed with: <see cref="AuthOptions.SigningKey"/>, or a random one per process.</summary>
    public SecurityKey SigningKey { get; }

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
            Claims = new Dictionary<string, object> { [Caller.UserIdClaim] = userId, [_options.RoleClaim] = role },
            SigningCredentials = _credentials,
        });
        return new IssuedToken(token, expires);
    }
}

/// <summary>A token and its expiry.</summary>
public sealed record IssuedToken(string AccessToken, DateTimeOffset ExpiresAt);
