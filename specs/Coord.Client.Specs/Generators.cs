using Coord.Protocol;
using Coord.Protocol.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Coord.Client.Specs;

/// <summary>
/// FsCheck generators for valid records. Strings are built from well-formed chunks (ASCII, 2-, 3- and 4-byte
/// UTF-8) so that encode→decode is the identity; lone surrogates are not representable in UTF-8.
/// </summary>
internal static class Generators
{
    private static readonly Gen<int> AnyInt = ArbMap.Default.GeneratorFor<int>();
    private static readonly Gen<long> AnyLong = ArbMap.Default.GeneratorFor<long>();
    private static readonly Gen<bool> AnyBool = ArbMap.Default.GeneratorFor<bool>();

    public static readonly Gen<string> Text =
        Gen.ArrayOf(Gen.Elements("a", "/", "z9", "é", "中", "😀", "-", "0000000001")).Select(string.Concat);

    public static readonly Gen<string> Path = Text.Select(t => "/" + t);

    public static readonly Gen<byte[]?> Data = Gen.Frequency(
        (1, Gen.Constant<byte[]?>(null)),
        (4, ArbMap.Default.GeneratorFor<byte[]>().Select(b => (byte[]?)b)));

    public static readonly Gen<IReadOnlyList<string>> Paths = Gen.ArrayOf(Path).Select(a => (IReadOnlyList<string>)a);

    public static readonly Gen<Acl> AclEntry =
        from perms in Gen.Choose(0, 31)
        from scheme in Gen.Elements("world", "auth", "digest", "ip", "x509", "")
        from ident in Text
        select new Acl((Perms)perms, new Id(scheme, ident));

    public static readonly Gen<IReadOnlyList<Acl>> Acls = Gen.ArrayOf(AclEntry).Select(a => (IReadOnlyList<Acl>)a);

    public static readonly Gen<Stat> Stats =
        from czxid in AnyLong
        from mzxid in AnyLong
        from ctime in AnyLong
        from mtime in AnyLong
        from version in AnyInt
        from cversion in AnyInt
        from aversion in AnyInt
        from owner in AnyLong
        from length in AnyInt
        from kids in AnyInt
        from pzxid in AnyLong
        select new Stat(czxid, mzxid, ctime, mtime, version, cversion, aversion, owner, length, kids, pzxid);

    public static readonly Gen<CreateRequest> Creates =
        from path in Path
        from data in Data
        from acl in Acls
        from flags in AnyInt
        select new CreateRequest(path, data, acl, flags);

    public static readonly Gen<CreateTtlRequest> CreateTtls =
        from path in Path
        from data in Data
        from acl in Acls
        from flags in AnyInt
        from ttl in AnyLong
        select new CreateTtlRequest(path, data, acl, flags, ttl);

    public static readonly Gen<SetDataRequest> SetDatas =
        from path in Path
        from data in Data
        from version in AnyInt
        select new SetDataRequest(path, data, version);

    public static readonly Gen<SetAclRequest> SetAcls =
        from path in Path
        from acl in Acls
        from version in AnyInt
        select new SetAclRequest(path, acl, version);

    private static readonly Gen<MultiOp> WriteOp = Gen.OneOf(
        from op in Gen.Elements(OpCode.Create, OpCode.Create2, OpCode.CreateContainer)
        from c in Creates
        select new MultiOp(op, c),
        CreateTtls.Select(c => new MultiOp(OpCode.CreateTtl, c)),
        from p in Path from v in AnyInt select new MultiOp(OpCode.Delete, new DeleteRequest(p, v)),
        SetDatas.Select(s => new MultiOp(OpCode.SetData, s)),
        from p in Path from v in AnyInt select new MultiOp(OpCode.Check, new CheckVersionRequest(p, v)));

    private static readonly Gen<MultiOp> ReadOp =
        from op in Gen.Elements(OpCode.GetData, OpCode.GetChildren)
        from p in Path
        from w in AnyBool
        select new MultiOp(op, new PathWatchRequest(p, w));

    /// <summary>Either a write multi or a multiRead (ZooKeeper forbids mixing the two).</summary>
    public static readonly Gen<MultiRequest> Multis = Gen.OneOf(
        Gen.ArrayOf(WriteOp).Select(ops => new MultiRequest(ops)),
        Gen.ArrayOf(ReadOp).Select(ops => new MultiRequest(ops)));

    private static readonly Gen<ErrorCode> Errors = Gen.Elements(Enum.GetValues<ErrorCode>());

    private static readonly Gen<MultiResult> Result = Gen.OneOf(
        Path.Select(p => new MultiResult(OpCode.Create, ErrorCode.Ok, new CreateResponse(p))),
        from p in Path from s in Stats select new MultiResult(OpCode.Create2, ErrorCode.Ok, new Create2Response(p, s)),
        Gen.Elements(OpCode.Delete, OpCode.Check).Select(t => new MultiResult(t, ErrorCode.Ok, null)),
        Stats.Select(s => new MultiResult(OpCode.SetData, ErrorCode.Ok, new StatResponse(s))),
        from d in Data from s in Stats select new MultiResult(OpCode.GetData, ErrorCode.Ok, new GetDataResponse(d, s)),
        Paths.Select(c => new MultiResult(OpCode.GetChildren, ErrorCode.Ok, new GetChildrenResponse(c))),
        Errors.Select(MultiResult.Error));

    public static readonly Gen<MultiResponse> MultiResponses = Gen.ArrayOf(Result).Select(r => new MultiResponse(r));

    public static readonly Gen<SetWatchesRequest> SetWatches =
        from rel in AnyLong
        from data in Paths
        from exist in Paths
        from child in Paths
        from v2 in AnyBool
        from pers in v2 ? Paths : Gen.Constant<IReadOnlyList<string>>([])
        from rec in v2 ? Paths : Gen.Constant<IReadOnlyList<string>>([])
        select new SetWatchesRequest(rel, data, exist, child, pers, rec, v2);
}
