using SafeWire.Framing;
using SafeWire.KeyDistribution.Wire;

namespace SafeWire.KeyDistribution.Tests;

public class TransferKeysTests
{
    [Fact]
    public void KeyGrant_RoundTrips()
    {
        using var keys = TransferKeys.Generate(TransferId.NewRandom(), TransferMode.Cfb, "SHA256:a", "SHA256:b", DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000));
        var writer = new FieldWriter();
        keys.Write(writer);
        using var read = TransferKeys.Read(new KdFrame(KdMessageType.KeyGrant, writer.ToArray()));
        Assert.Equal(keys.TransferId, read.TransferId);
        Assert.Equal(keys.Mode, read.Mode);
        Assert.Equal(keys.AesKey.ToArray(), read.AesKey.ToArray());
        Assert.Equal(keys.BaseIv.ToArray(), read.BaseIv.ToArray());
        Assert.Equal(keys.MacKey.ToArray(), read.MacKey.ToArray());
        Assert.Equal("SHA256:b", read.ReceiverFingerprint);
        Assert.Equal(keys.ExpiresAt, read.ExpiresAt);
    }

    [Fact]
    public void KeyGrant_WithTrailingByte_IsMalformed()
    {
        using var keys = TransferKeys.Generate(TransferId.NewRandom(), TransferMode.Cbc, "SHA256:a", "SHA256:b", DateTimeOffset.UtcNow);
        var writer = new FieldWriter();
        keys.Write(writer);
        writer.U8(0);
        var e = Assert.Throws<KdException>(() => TransferKeys.Read(new KdFrame(KdMessageType.KeyGrant, writer.ToArray())));
        Assert.Equal(KdError.Malformed, e.Error);
    }

    [Fact]
    public void Confirmation_VerifiesForSameKeysAndRole_Only()
    {
        var id = TransferId.NewRandom();
        using var keys = TransferKeys.Generate(id, TransferMode.Cbc, "SHA256:a", "SHA256:b", DateTimeOffset.UtcNow);
        using var other = TransferKeys.Generate(id, TransferMode.Cbc, "SHA256:a", "SHA256:b", DateTimeOffset.UtcNow);
        var mac = new byte[32];
        keys.ConfirmationMac(TransferRole.Sender, mac);
        Assert.True(keys.VerifyConfirmation(TransferRole.Sender, mac));
        Assert.False(keys.VerifyConfirmation(TransferRole.Receiver, mac));
        Assert.False(other.VerifyConfirmation(TransferRole.Sender, mac));
        Assert.False(keys.VerifyConfirmation(TransferRole.Sender, mac.AsSpan(0, 31)));
    }

    [Fact]
    public void Dispose_ZeroesKeys()
    {
        var keys = TransferKeys.Generate(TransferId.NewRandom(), TransferMode.Cbc, "SHA256:a", "SHA256:b", DateTimeOffset.UtcNow);
        keys.Dispose();
        Assert.All(keys.AesKey.ToArray(), b => Assert.Equal(0, b));
        Assert.All(keys.MacKey.ToArray(), b => Assert.Equal(0, b));
        Assert.All(keys.BaseIv.ToArray(), b => Assert.Equal(0, b));
    }
}
