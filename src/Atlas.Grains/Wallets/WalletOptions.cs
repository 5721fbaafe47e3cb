namespace Atlas.Grains.Wallets;

/// <summary>How wallet grains write their ledger.</summary>
public sealed class WalletOptions
{
    public const string SectionName = "Wallets";

    /// <summary>
    /// The most movements a wallet writes in one store transaction (default 128). Movements that arrive while a write
    /// is in flight are committed together by the next one (group commit): a hot wallet, such as the platform's
    /// commission account that every finished ride credits, pays one round trip per batch instead of one per movement.
    /// 1 writes every movement on its own.
    /// </summary>
    public int MaxMovementsPerWrite { get; set; } = 128;
}
