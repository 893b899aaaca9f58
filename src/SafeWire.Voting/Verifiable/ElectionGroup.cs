using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;

namespace SafeWire.Voting.Verifiable;

/// <summary>
/// The ElectionGuard 2.x standard group: a 4096-bit prime p, the 256-bit prime q = 2^256 - 189 dividing p - 1,
/// and a generator g of the order-q subgroup of Z_p^*. Elements are integers mod p in that subgroup; scalars are
/// integers mod q. Arithmetic is System.Numerics.BigInteger; fixed bases (g, the joint key) use precomputed tables.
/// </summary>
public sealed class ElectionGroup
{
    /// <summary>Bytes of an element of Z_p (big-endian, fixed length).</summary>
    public const int ElementSize = 512;

    /// <summary>Bytes of a scalar of Z_q (big-endian, fixed length).</summary>
    public const int ScalarSize = 32;

    private const string StandardP =
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFB17217F7D1CF79ABC9E3B39803F2F6AF40F343267298B62D8A0D175B8BAAFA2B" +
        "E7B876206DEBAC98559552FB4AFA1B10ED2EAE35C138214427573B291169B8253E96CA16224AE8C51ACBDA11317C387EB9EA9BC3B136603B256FA0EC7657F74B" +
        "72CE87B19D6548CAF5DFA6BD38303248655FA1872F20E3A2DA2D97C50F3FD5C607F4CA11FB5BFB90610D30F88FE551A2EE569D6DFC1EFA157D2E23DE1400B396" +
        "17460775DB8990E5C943E732B479CD33CCCC4E659393514C4C1A1E0BD1D6095D25669B333564A3376A9C7F8A5E148E82074DB6015CFE7AA30C480A5417350D2C" +
        "955D5179B1E17B9DAE313CDB6C606CB1078F735D1B2DB31B5F50B5185064C18B4D162DB3B365853D7598A1951AE273EE5570B6C68F96983496D4E6D330AF889B" +
        "44A02554731CDC8EA17293D1228A4EF98D6F5177FBCF0755268A5C1F9538B98261AFFD446B1CA3CF5E9222B88C66D3C5422183EDC99421090BBB16FAF3D949F2" +
        "36E02B20CEE886B905C128D53D0BD2F9621363196AF503020060E49908391A0C57339BA2BEBA7D052AC5B61CC4E9207CEF2F0CE2D7373958D762265890445744" +
        "FB5F2DA4B751005892D356890DEFE9CAD9B9D4B713E06162A2D8FDD0DF2FD608FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";

    private const string StandardG =
        "36036FED214F3B50DC566D3A312FE4131FEE1C2BCE6D02EA39B477AC05F7F885F38CFE77A7E45ACF4029114C4D7A9BFE058BF2F995D2479D3DDA618FFD910D3C" +
        "4236AB2CFDD783A5016F7465CF59BBF45D24A22F130F2D04FE93B2D58BB9C1D1D27FC9A17D2AF49A779F3FFBDCA22900C14202EE6C99616034BE35CBCDD3E7BB" +
        "7996ADFE534B63CCA41E21FF5DC778EBB1B86C53BFBE99987D7AEA0756237FB40922139F90A62F2AA8D9AD34DFF799E33C857A6468D001ACF3B681DB87DC4242" +
        "755E2AC5A5027DB81984F033C4D178371F273DBB4FCEA1E628C23E52759BC7765728035CEA26B44C49A65666889820A45C33DD37EA4A1D00CB62305CD541BE1E" +
        "8A92685A07012B1A20A746C3591A2DB3815000D2AACCFE43DC49E828C1ED7387466AFD8E4BF1935593B2A442EEC271C50AD39F733797A1EA11802A2557916534" +
        "662A6B7E9A9E449A24C8CFF809E79A4D806EB681119330E6C57985E39B200B4893639FDFDEA49F76AD1ACD997EBA13657541E79EC57437E504EDA9DD01106151" +
        "6C643FB30D6D58AFCCD28B73FEDA29EC12B01A5EB86399A593A9D5F450DE39CB92962C5EC6925348DB54D128FD99C14B457F883EC20112A75A6A0581D3D80A3B" +
        "4EF09EC86F9552FFDA1653F133AA2534983A6F31B0EE4697935A6B1EA2F75B85E7EBA151BA486094D68722B054633FEC51CA3F29B31E77E317B178B6B9D8AE0F";

    private static readonly Lazy<ElectionGroup> s_lazyStandard = new(() => new ElectionGroup(
        ParseHex(StandardP), BigInteger.Pow(2, 256) - 189, ParseHex(StandardG)));

    private readonly Lazy<FixedBase> _gTable;
    private readonly BigInteger _qPowerOfTwo;
    private readonly BigInteger? _qDeficit;

    private ElectionGroup(BigInteger p, BigInteger q, BigInteger g)
    {
        P = p;
        Q = q;
        G = g;
        _gTable = new Lazy<FixedBase>(() => new FixedBase(this, G));
        _qPowerOfTwo = BigInteger.One << (int)q.GetBitLength();
        var deficit = _qPowerOfTwo - q;
        _qDeficit = deficit < (1 << 16) ? deficit : null;
    }

    /// <summary>The standard parameters of the ElectionGuard 2.x specification.</summary>
    public static ElectionGroup Standard => s_lazyStandard.Value;

    /// <summary>The 4096-bit prime modulus.</summary>
    public BigInteger P { get; }

    /// <summary>The 256-bit prime order of the subgroup.</summary>
    public BigInteger Q { get; }

    /// <summary>The generator of the order-q subgroup.</summary>
    public BigInteger G { get; }

    /// <summary>a·b mod p.</summary>
    public BigInteger Mul(BigInteger a, BigInteger b) => a * b % P;

    /// <summary>b^e mod p for any base (e is reduced mod q: bases are subgroup elements).</summary>
    public BigInteger Pow(BigInteger b, BigInteger e) => BigInteger.ModPow(b, ModQ(e), P);

    /// <summary>
    /// b^e mod p for each e of <paramref name="exponents"/> (reduced mod q), sharing one small comb table of b
    /// (Lim-Lee, 6 rows): about 270 multiplications once, then about 86 per exponent instead of about 300.
    /// </summary>
    public BigInteger[] PowMany(BigInteger b, IReadOnlyList<BigInteger> exponents)
    {
        ArgumentNullException.ThrowIfNull(exponents);
        if (exponents.Count < 3)
        {
            return [.. exponents.Select(e => Pow(b, e))];
        }

        const int rows = 6;
        var columns = (int)((Q.GetBitLength() + rows - 1) / rows);
        var rowBases = new BigInteger[rows];
        rowBases[0] = b % P;
        for (var r = 1; r < rows; r++)
        {
            rowBases[r] = rowBases[r - 1];
            for (var k = 0; k < columns; k++)
            {
                rowBases[r] = Mul(rowBases[r], rowBases[r]);
            }
        }

        return Comb(rowBases, columns, exponents);
    }

    /// <summary>
    /// Null when b is not an element (as <see cref="IsElement"/>); else b^e mod p for each e of <paramref name="exponents"/>.
    /// For the standard q = 2^256 − 189 the subgroup check's 256 squarings (b^(2^256) = b^189) also give the rows of
    /// the comb table (b^(2^(37·r)), 7 rows), so the table costs only its 120 products: about 380 + 74 per exponent
    /// multiplications in all, against about 256 + 270 + 86 per exponent for a check followed by <see cref="PowMany"/>.
    /// </summary>
    internal BigInteger[]? PowManyOfElement(BigInteger b, IReadOnlyList<BigInteger> exponents)
    {
        if (b.Sign <= 0 || b >= P)
        {
            return null;
        }

        if (_qDeficit is not { } deficit)
        {
            return IsElement(b) ? PowMany(b, exponents) : null;
        }

        const int rows = 7;
        var squarings = (int)Q.GetBitLength();
        var columns = (squarings + rows - 1) / rows;
        var rowBases = new BigInteger[rows];
        rowBases[0] = b;
        var power = b;
        for (var i = 1; i <= squarings; i++)
        {
            power = Mul(power, power);
            if (i % columns == 0 && i / columns < rows)
            {
                rowBases[i / columns] = power;
            }
        }

        return power == BigInteger.ModPow(b, deficit, P) ? Comb(rowBases, columns, exponents) : null;
    }

    /// <summary>The comb evaluation: rowBases[r] = b^(2^(r·columns)); a table of all 2^rows products, then per exponent
    /// one squaring and one table product per column.</summary>
    private BigInteger[] Comb(BigInteger[] rowBases, int columns, IReadOnlyList<BigInteger> exponents)
    {
        var rows = rowBases.Length;
        var table = new BigInteger[1 << rows];
        table[0] = BigInteger.One;
        for (var r = 0; r < rows; r++)
        {
            var bit = 1 << r;
            for (var rest = 0; rest < bit; rest++)
            {
                table[bit | rest] = rest == 0 ? rowBases[r] : Mul(table[rest], rowBases[r]);
            }
        }

        var results = new BigInteger[exponents.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var e = ModQ(exponents[i]).ToByteArray(isUnsigned: true, isBigEndian: false);
            var result = BigInteger.One;
            for (var column = columns - 1; column >= 0; column--)
            {
                if (!result.IsOne)
                {
                    result = Mul(result, result);
                }

                var index = 0;
                for (var r = 0; r < rows; r++)
                {
                    var n = (r * columns) + column;
                    if ((n >> 3) < e.Length && ((e[n >> 3] >> (n & 7)) & 1) != 0)
                    {
                        index |= 1 << r;
                    }
                }

                if (index != 0)
                {
                    result = result.IsOne ? table[index] : Mul(result, table[index]);
                }
            }

            results[i] = result;
        }

        return results;
    }

    /// <summary>g^e mod p from the precomputed table.</summary>
    public BigInteger GPow(BigInteger e) => _gTable.Value.Pow(e);

    /// <summary>The inverse of a subgroup element: x^(q-1).</summary>
    public BigInteger Invert(BigInteger x) => BigInteger.ModPow(x, Q - 1, P);

    /// <summary>x mod q in 0..q-1.</summary>
    public BigInteger ModQ(BigInteger x)
    {
        var r = x % Q;
        return r.Sign < 0 ? r + Q : r;
    }

    /// <summary>
    /// True when x is in 1..p-1 and x^q = 1 (a member of the order-q subgroup). With q = 2^k − d for a small d (the
    /// standard q = 2^256 − 189), x^q = 1 is tested as the equivalent x^(2^k) = x^d (x is invertible mod the prime p):
    /// k squarings and a few multiplications instead of the about 2k steps of ModPow over q's 250 one-bits.
    /// </summary>
    public bool IsElement(BigInteger x)
    {
        if (x.Sign <= 0 || x >= P)
        {
            return false;
        }

        return _qDeficit is { } d
            ? BigInteger.ModPow(x, _qPowerOfTwo, P) == BigInteger.ModPow(x, d, P)
            : BigInteger.ModPow(x, Q, P).IsOne;
    }

    /// <summary>True when x is in 0..q-1.</summary>
    public bool IsScalar(BigInteger x) => x.Sign >= 0 && x < Q;

    /// <summary>A uniformly random scalar in 0..q-1 from the system's CSPRNG.</summary>
    public BigInteger RandomScalar()
    {
        Span<byte> bytes = stackalloc byte[ScalarSize];
        try
        {
            while (true)
            {
                RandomNumberGenerator.Fill(bytes);
                var x = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
                if (x < Q)
                {
                    return x;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>Fixed-length big-endian bytes of an integer 0 ≤ x &lt; 2^(8·size).</summary>
    public static byte[] ToBytes(BigInteger x, int size)
    {
        var bytes = new byte[size];
        if (!x.TryWriteBytes(bytes.AsSpan(size - x.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true))
        {
            throw new ArgumentOutOfRangeException(nameof(x), "The integer does not fit.");
        }

        return bytes;
    }

    /// <summary>Upper-case hex of an element (1024 digits).</summary>
    public static string ElementHex(BigInteger x) => Convert.ToHexString(ToBytes(x, ElementSize));

    /// <summary>Upper-case hex of a scalar (64 digits).</summary>
    public static string ScalarHex(BigInteger x) => Convert.ToHexString(ToBytes(x, ScalarSize));

    /// <summary>Parses hex digits as an unsigned big-endian integer; null when not hex or not exactly <paramref name="digits"/> long.</summary>
    public static BigInteger? TryParseHex(string? hex, int digits)
    {
        if (hex is null || hex.Length != digits || !hex.All(char.IsAsciiHexDigitUpper))
        {
            return null;
        }

        return ParseHex(hex);
    }

    private static BigInteger ParseHex(string hex) => BigInteger.Parse("0" + hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}

/// <summary>
/// Fixed-base exponentiation by the Lim-Lee comb: a 256-bit exponent is read as 8 rows of 32 bits, each row as 8
/// blocks of 4 bits; table[s][I] = Π_(r in I) base^(2^(32·r + 4·s)) for the 255 non-empty row sets I of each block
/// position s (2,040 elements, about 2,230 multiplications once). Then base^e costs 3 squarings and at most 32
/// products (the 6-bit windowed table this replaces took up to 43 products and about 2,700 multiplications once).
/// </summary>
internal sealed class FixedBase
{
    private const int Rows = 8;
    private const int Blocks = 8;
    private readonly ElectionGroup _group;
    private readonly BigInteger[][] _tables;
    private readonly int _blockBits;
    private readonly int _rowBits;

    /// <summary>Precomputes the tables of <paramref name="baseValue"/>.</summary>
    public FixedBase(ElectionGroup group, BigInteger baseValue)
    {
        _group = group;
        _blockBits = (int)((group.Q.GetBitLength() + (Rows * Blocks) - 1) / (Rows * Blocks));
        _rowBits = _blockBits * Blocks;

        // powers[r, s] = base^(2^(32·r + 4·s)): the exponents increase with (r, s), so one chain of squarings gives all.
        var powers = new BigInteger[Rows, Blocks];
        var current = baseValue % group.P;
        var exponentBit = 0;
        for (var r = 0; r < Rows; r++)
        {
            for (var s = 0; s < Blocks; s++)
            {
                for (; exponentBit < (r * _rowBits) + (s * _blockBits); exponentBit++)
                {
                    current = group.Mul(current, current);
                }

                powers[r, s] = current;
            }
        }

        _tables = new BigInteger[Blocks][];
        for (var s = 0; s < Blocks; s++)
        {
            var table = new BigInteger[1 << Rows];
            table[0] = BigInteger.One;
            for (var r = 0; r < Rows; r++)
            {
                var bit = 1 << r;
                for (var rest = 0; rest < bit; rest++)
                {
                    table[bit | rest] = rest == 0 ? powers[r, s] : group.Mul(table[rest], powers[r, s]);
                }
            }

            _tables[s] = table;
        }

        Base = baseValue;
    }

    /// <summary>The base of this table.</summary>
    public BigInteger Base { get; }

    /// <summary>base^e mod p (e reduced mod q).</summary>
    public BigInteger Pow(BigInteger e)
    {
        var bytes = _group.ModQ(e).ToByteArray(isUnsigned: true, isBigEndian: false);
        var result = BigInteger.One;
        for (var k = _blockBits - 1; k >= 0; k--)
        {
            if (!result.IsOne)
            {
                result = _group.Mul(result, result);
            }

            for (var s = 0; s < Blocks; s++)
            {
                var index = 0;
                for (var r = 0; r < Rows; r++)
                {
                    var n = (r * _rowBits) + (s * _blockBits) + k;
                    if ((n >> 3) < bytes.Length && ((bytes[n >> 3] >> (n & 7)) & 1) != 0)
                    {
                        index |= 1 << r;
                    }
                }

                if (index != 0)
                {
                    result = result.IsOne ? _tables[s][index] : _group.Mul(result, _tables[s][index]);
                }
            }
        }

        return result;
    }
}
