using System.Text;

namespace Atlas.Api.Auth;

/// <summary>How tokens are signed and issued (section <c>Auth</c>).</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>Smallest HMAC-SHA256 key accepted, in bytes.</summary>
    public const int MinimumKeyBytes = 32;

    /// <summary>
    /// The HMAC-SHA256 signing key (UTF-8, at least 32 bytes) of the tokens <c>POST /auth/token</c> issues, and of tokens
    /// another issuer sharing the key signs (with <see cref="Issuer"/> as <c>iss</c>). Unset, and no
    /// <see cref="Authority"/> (default): development mode — a random key per process, and <c>POST /auth/token</c>
    /// issues a token to anyone for any user and role.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>The <c>iss</c> of issued tokens, and an issuer accepted (default <c>atlas</c>).</summary>
    public string Issuer { get; set; } = "atlas";

    /// <summary>The <c>aud</c> of issued tokens, and the only audience accepted, from any issuer (default <c>atlas-api</c>).</summary>
    public string Audience { get; set; } = "atlas-api";

    /// <summary>
    /// An external OpenID Connect issuer (e.g. <c>https://login.example.com/realms/atlas</c>) whose tokens are accepted
    /// too: its issuer and signing keys are read from <c>{Authority}/.well-known/openid-configuration</c> and refreshed
    /// as the library decides (daily, or when a token names an unknown key). Unset (default): none.
    /// </summary>
    public string? Authority { get; set; }

    /// <summary>Whether <see cref="Authority"/> must be HTTPS (default true; false only for a local identity provider).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The claim that carries the caller's role (default <c>role</c>; identity providers often use <c>roles</c>).</summary>
    public string RoleClaim { get; set; } = Caller.RoleClaim;

    /// <summary>How long an issued token is valid (default 1 h).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Clock difference tolerated when checking expiry (default 30 s).</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// With a signing key: role (<c>rider</c>, <c>driver</c>, <c>admin</c>) → the shared secret a client presents to get
    /// a token for that role. A role without a secret cannot get tokens.
    /// </summary>
    public Dictionary<string, string> ClientSecrets { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>No signing key and no external issuer: anyone gets any token (see <see cref="SigningKey"/>).</summary>
    public bool IsDevelopmentMode => string.IsNullOrEmpty(SigningKey) && string.IsNullOrEmpty(Authority);

    internal IEnumerable<string> Validate()
    {
        if (!string.IsNullOrEmpty(SigningKey) && Encoding.UTF8.GetByteCount(SigningKey) < MinimumKeyBytes)
        {
            yield return $"Auth:SigningKey must be at least {MinimumKeyBytes} bytes (UTF-8).";
        }
        if (string.IsNullOrWhiteSpace(Issuer))
        {
            yield return "Auth:Issuer is required.";
        }
        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return "Auth:Audience is required.";
        }
        if (TokenLifetime < TimeSpan.FromMinutes(1) || TokenLifetime > TimeSpan.FromDays(30))
        {
            yield return "Auth:TokenLifetime must be between 1 minute and 30 days.";
        }
        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(10))
        {
            yield return "Auth:ClockSkew must be between 0 and 10 minutes.";
        }
        if (!string.IsNullOrEmpty(Authority))
        {
            if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
            {
                yield return $"Auth:Authority must be an absolute http(s) URL, not '{Authority}'.";
            }
            else if (RequireHttpsMetadata && authority.Scheme != "https")
            {
                yield return "Auth:Authority must be HTTPS; set Auth:RequireHttpsMetadata=false only for a local identity provider.";
            }
        }
        if (string.IsNullOrWhiteSpace(RoleClaim))
        {
            yield return "Auth:RoleClaim is required.";
        }
        foreach (var role in ClientSecrets.Keys.Where(r => !Roles.IsKnown(r)))
        {
            yield return $"Auth:ClientSecrets:{role} names no role; roles are {string.Join(", ", Roles.All)}.";
        }
    }
}
