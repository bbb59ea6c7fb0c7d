using MiAudit.Detection.Decoding;

namespace MiAudit.Detection.Tests.Decoding;

public sealed class LeafPathTests
{
    private static readonly LeafPath Event = LeafPath.Root("body").Entry("form", "data_list").Transform("base64").Transform("gzip")
        .Transform("json").Index(12).Member("properties");

    [Fact]
    public void Every_kind_of_step_renders_as_people_read_it()
    {
        Assert.Equal("body.form[data_list] → base64 → gzip → json[12].properties.$url", Event.Member("$url").ToString());
        Assert.Equal("body.form[data_list] → base64 → gzip → json[12].properties[a b]", Event.Member("a b").ToString());
        Assert.Equal("body.form[data_list] → base64 → gzip → json[12].properties[7up]", Event.Member("7up").ToString());
        Assert.Equal("body.form[data_list] → base64 → gzip → json[12].properties[]", Event.Member("").ToString());
        Assert.Equal("header[User-Agent]", LeafPath.Root("header", "User-Agent").ToString());
        Assert.Equal("query[d] → form[a]", LeafPath.Root("query", "d").Transform("form").Bracket("a").ToString());
        Assert.Equal("ws[1234567].client → protobuf.#1[0].#46",
            LeafPath.Root("ws").Index(1234567).Member("client").Transform("protobuf").FieldNumber(1).Index(0).FieldNumber(46).ToString());
        Assert.Equal("path[0]", LeafPath.Root("path").Index(0).ToString());
    }

    [Fact]
    public void A_path_renders_the_same_whether_or_not_its_parent_was_rendered_first()
    {
        var parent = LeafPath.Root("cookie", "sid").Transform("base64").Transform("json");
        var before = parent.Member("imei").ToString();
        _ = parent.ToString();

        Assert.Equal(before, parent.Member("imei").ToString());
        Assert.Equal("cookie[sid] → base64 → json[3].imei", parent.Index(3).Member("imei").ToString());
    }

    [Fact]
    public void The_document_field_is_the_named_steps_inside_the_innermost_document()
    {
        Assert.Equal("properties.$url", Event.Member("$url").DocumentField);
        Assert.Equal("properties.$url", Event.Member("$url").Transform("base64").DocumentField); // a field's value decoded further
        Assert.Equal("lib.$lib", Event.Member("$url").Transform("base64").Transform("json").Member("lib").Member("$lib").DocumentField);
        Assert.Equal("1.46", LeafPath.Root("body").Transform("protobuf").FieldNumber(1).Index(0).FieldNumber(46).DocumentField);
        Assert.Null(Event.Index(0).Parent!.Parent!.Parent!.DocumentField); // the json transform itself: no field yet
        Assert.Null(LeafPath.Root("query", "imei").DocumentField);
        Assert.Null(LeafPath.Root("body").Entry("form", "a").Transform("base64").DocumentField);
    }

    [Fact]
    public void Location_and_field_name_come_from_the_steps()
    {
        var path = LeafPath.Root("header", "X-Data").Transform("base64").Transform("json").Member("did").Index(2);

        Assert.Equal(("header", "X-Data", "header[X-Data]", "did"), (path.LocationKind, path.LocationName, path.Location, path.FieldName));
        Assert.Equal(["base64", "json"], path.Transforms);
        Assert.Equal(2, path.TransformCount);
    }
}
