using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Streams;

/// <summary>The stream API through boto3's Kinesis client (and raw signed calls for what the SDK would never send).</summary>
public sealed class StreamBoto3Tests(StreamFixture fixture) : IClassFixture<StreamFixture>
{
    [Fact]
    public async Task Order_is_kept_per_partition_key_across_concurrent_put_records()
    {
        // 4 producers x 10 calls x 500 records over 40 keys (each key owned by one producer, values counting up):
        // every key's values come back complete and in order, and each shard's sequence numbers are contiguous.
        var result = await fixture.Boto.KinesisAsync($$"""
            name = {{Boto3.Literal(NodeFixture.UniqueName("order"))}}
            kinesis.create_stream(StreamName=name, ShardCount=4)
            def produce(p):
                counters = {}
                for call in range(10):
                    records = []
                    for j in range(500):
                        key = f"p{p}-k{j % 10}"
                        counters[key] = counters.get(key, 0) + 1
                        records.append({"PartitionKey": key, "Data": str(counters[key]).encode()})
                    r = kinesis.put_records(StreamName=name, Records=records)
                    assert r["FailedRecordCount"] == 0, r
            threads = [threading.Thread(target=produce, args=(p,)) for p in range(4)]
            for t in threads: t.start()
            for t in threads: t.join()
            per_key, gaps, total = {}, 0, 0
            for shard in kinesis.list_shards(StreamName=name)["Shards"]:
                records = read_shard(name, shard["ShardId"])
                seqs = [int(r["SequenceNumber"]) for r in records]
                gaps += sum(1 for a, b in zip(seqs, seqs[1:]) if b != a + 1)
                total += len(records)
                for r in records:
                    per_key.setdefault(r["PartitionKey"], []).append(int(r["Data"]))
            ordered = all(v == list(range(1, len(v) + 1)) for v in per_key.values())
            kinesis.delete_stream(StreamName=name)
            out({"total": total, "keys": len(per_key), "ordered": ordered, "gaps": gaps, "sizes": sorted(set(len(v) for v in per_key.values()))})
            """);
        Assert.Equal(20000, (int?)result!["total"]);
        Assert.Equal(40, (int?)result["keys"]);
        Assert.True((bool)result["ordered"]!);
        Assert.Equal(0, (int?)result["gaps"]);
        Assert.Equal("[500]", result["sizes"]!.ToJsonString());
    }

    [Fact]
    public async Task Iterators_timestamps_explicit_hash_keys_and_on_demand_streams_work()
    {
        var result = await fixture.Boto.KinesisAsync($$"""
            import math, time
            name = {{Boto3.Literal(NodeFixture.UniqueName("iter"))}}
            kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
            shards = kinesis.list_shards(StreamName=name)["Shards"]
            # ExplicitHashKey picks the shard whose range contains it, whatever the partition key.
            last = shards[-1]
            placed = kinesis.put_record(StreamName=name, PartitionKey="x", Data=b"explicit", ExplicitHashKey=last["HashKeyRange"]["StartingHashKey"])
            kinesis.put_record(StreamName=name, PartitionKey="x", Data=b"a1", ExplicitHashKey="0")
            # botocore sends timestamps as whole epoch seconds: put a2 after the next second boundary.
            middle = math.ceil(time.time() + 0.01)
            time.sleep(middle - time.time() + 0.05)
            kinesis.put_record(StreamName=name, PartitionKey="x", Data=b"a2", ExplicitHashKey="0")
            it = kinesis.get_shard_iterator(StreamName=name, ShardId=shards[0]["ShardId"], ShardIteratorType="AT_TIMESTAMP", Timestamp=middle)["ShardIterator"]
            at_ts = kinesis.get_records(ShardIterator=it)
            it = kinesis.get_shard_iterator(StreamName=name, ShardId=shards[0]["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            first = kinesis.get_records(ShardIterator=it, Limit=1)
            second = kinesis.get_records(ShardIterator=first["NextShardIterator"], Limit=1)
            arrival = first["Records"][0]["ApproximateArrivalTimestamp"].timestamp()
            forged = error(kinesis.get_records, ShardIterator=it[:-4] + ("AAAA" if not it.endswith("AAAA") else "BBBB"))
            kinesis.delete_stream(StreamName=name)
            out({"shards": len(shards), "explicitShard": placed["ShardId"], "lastShard": last["ShardId"],
                 "atTimestamp": [r["Data"].decode() for r in at_ts["Records"]],
                 "first": [r["Data"].decode() for r in first["Records"]], "behind": first["MillisBehindLatest"],
                 "second": [r["Data"].decode() for r in second["Records"]], "secondBehind": second["MillisBehindLatest"],
                 "arrivalAge": time.time() - arrival, "forged": forged})
            """);
        Assert.Equal(4, (int?)result!["shards"]);
        Assert.Equal((string?)result["lastShard"], (string?)result["explicitShard"]);
        Assert.Equal("[\"a2\"]", result["atTimestamp"]!.ToJsonString());
        Assert.Equal("[\"a1\"]", result["first"]!.ToJsonString());
        Assert.True((long)result["behind"]! > 0); // a2 is still unread
        Assert.Equal("[\"a2\"]", result["second"]!.ToJsonString());
        Assert.Equal(0, (long)result["secondBehind"]!);
        Assert.InRange((double)result["arrivalAge"]!, 0, 30);
        Assert.Equal("InvalidArgumentException", (string?)result["forged"]!["Code"]);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_kinesis_errors_and_never_half_written()
    {
        var result = await fixture.Boto.KinesisAsync($$"""
            name = {{Boto3.Literal(NodeFixture.UniqueName("bad"))}}
            kinesis.create_stream(StreamName=name, ShardCount=2)
            def count():
                return sum(len(read_shard(name, s["ShardId"])) for s in kinesis.list_shards(StreamName=name)["Shards"])
            e = {}
            e["zeroShards"] = error(kinesis_unvalidated.create_stream, StreamName=name + "-z", ShardCount=0)
            e["oversized"] = error(kinesis.put_record, StreamName=name, PartitionKey="k", Data=b"x" * (1024 * 1024 + 1))
            e["longKey"] = error(kinesis_unvalidated.put_record, StreamName=name, PartitionKey="k" * 257, Data=b"x")
            good = [{"PartitionKey": f"k{i}", "Data": b"ok"} for i in range(10)]
            e["oneBadRecord"] = error(kinesis_unvalidated.put_records, StreamName=name, Records=good + [{"PartitionKey": "", "Data": b"x"}])
            e["tooMany"] = error(kinesis_unvalidated.put_records, StreamName=name, Records=[{"PartitionKey": "k", "Data": b"x"}] * 501)
            e["tooBig"] = error(kinesis.put_records, StreamName=name, Records=[{"PartitionKey": "k", "Data": b"x" * (1024 * 1024)}] * 6)
            e["badHashKey"] = error(kinesis.put_record, StreamName=name, PartitionKey="k", Data=b"x", ExplicitHashKey="340282366920938463463374607431768211456")
            e["badType"] = error(kinesis_unvalidated.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="OLDEST")
            e["noSeq"] = error(kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="AT_SEQUENCE_NUMBER")
            e["badSignature"] = error(kinesis_with(secret="wrong").list_streams)
            stored = count()
            raw = {
                "malformed": kraw("PutRecord", b'{"StreamName": '),
                "unknownTarget": kraw("MakeCoffee", b"{}"),
                "wrongType": kraw("CreateStream", json.dumps({"StreamName": name + "-t", "ShardCount": "two"}).encode()),
                "notBase64": kraw("PutRecord", json.dumps({"StreamName": name, "PartitionKey": "k", "Data": "!!"}).encode()),
            }
            stored_after = count()
            kinesis.delete_stream(StreamName=name)
            out({"errors": e, "raw": raw, "stored": stored, "storedAfter": stored_after})
            """);
        var errors = result!["errors"]!;
        Assert.Equal("ValidationException", (string?)errors["zeroShards"]!["Code"]);
        Assert.Contains("Member must have value greater than or equal to 1", (string?)errors["zeroShards"]!["Message"]);
        Assert.Equal("ValidationException", (string?)errors["oversized"]!["Code"]);
        Assert.Contains("less than or equal to 1048576", (string?)errors["oversized"]!["Message"]);
        Assert.Equal("ValidationException", (string?)errors["longKey"]!["Code"]);
        Assert.Equal("ValidationException", (string?)errors["oneBadRecord"]!["Code"]);
        Assert.Equal("ValidationException", (string?)errors["tooMany"]!["Code"]);
        Assert.Equal("InvalidArgumentException", (string?)errors["tooBig"]!["Code"]);
        Assert.Equal("InvalidArgumentException", (string?)errors["badHashKey"]!["Code"]);
        Assert.Equal("ValidationException", (string?)errors["badType"]!["Code"]);
        Assert.Equal("InvalidArgumentException", (string?)errors["noSeq"]!["Code"]);
        Assert.Equal("InvalidSignatureException", (string?)errors["badSignature"]!["Code"]);
        foreach (var e in errors.AsObject()) Assert.True((int?)e.Value!["Status"] is 400 or 403, e.Key);

        var raw = result["raw"]!;
        Assert.Equal(400, (int?)raw["malformed"]!["Status"]);
        Assert.Equal("SerializationException", (string?)raw["malformed"]!["Body"]!["__type"]);
        Assert.Equal("UnknownOperationException", (string?)raw["unknownTarget"]!["Body"]!["__type"]);
        Assert.Equal("SerializationException", (string?)raw["wrongType"]!["Body"]!["__type"]);
        Assert.Equal("SerializationException", (string?)raw["notBase64"]!["Body"]!["__type"]);
        // Nothing of any refused request was written.
        Assert.Equal(0, (int?)result["stored"]);
        Assert.Equal(0, (int?)result["storedAfter"]);
    }

    [Fact]
    public async Task Create_stream_tags_and_resource_arn_tagging_reach_the_same_tags()
    {
        // Debian's boto3 (1.29) predates CreateStream Tags and TagResource & co.: those go as raw signed calls.
        var result = await fixture.Boto.KinesisAsync($$"""
            name = {{Boto3.Literal(NodeFixture.UniqueName("restag"))}}
            def call(operation, **body):
                return kraw(operation, json.dumps(body).encode())
            r = {"create": call("CreateStream", StreamName=name, ShardCount=1, Tags={"team": "core", "env": "dev"})}
            arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
            r["fromCreate"] = kinesis.list_tags_for_stream(StreamName=name)["Tags"]
            r["tag"] = call("TagResource", ResourceARN=arn, Tags={"owner": "ana"})
            r["untag"] = call("UntagResource", ResourceARN=arn, TagKeys=["env"])
            r["listed"] = call("ListTagsForResource", ResourceARN=arn)
            r["viaStream"] = kinesis.list_tags_for_stream(StreamName=name)["Tags"]
            r["tooManyAtCreate"] = call("CreateStream", StreamName=name + "-x", ShardCount=1, Tags={f"k{i}": "v" for i in range(51)})
            r["createdAnyway"] = (name + "-x") in kinesis.list_streams()["StreamNames"]
            r["unknownArn"] = call("ListTagsForResource", ResourceARN=arn + "-absent")
            r["notAStreamArn"] = call("TagResource", ResourceARN="arn:aws:sqs:us-east-1:000000000000:queue", Tags={"a": "b"})
            r["noTags"] = call("TagResource", ResourceARN=arn)
            r["noKeys"] = call("UntagResource", ResourceARN=arn, TagKeys=[])
            r["longValue"] = error(kinesis_unvalidated.add_tags_to_stream, StreamName=name, Tags={"k": "v" * 257})
            r["badMode"] = error(kinesis_unvalidated.update_stream_mode, StreamARN=arn, StreamModeDetails={"StreamMode": "FAST"})
            kinesis.delete_stream(StreamName=name)
            r["afterDelete"] = call("ListTagsForResource", ResourceARN=arn)
            out(r)
            """);
        Assert.Equal(200, (int?)result!["create"]!["Status"]);
        Assert.Equal("""[{"Key":"env","Value":"dev"},{"Key":"team","Value":"core"}]""", result["fromCreate"]!.ToJsonString());
        Assert.Equal(200, (int?)result["tag"]!["Status"]);
        Assert.Equal(200, (int?)result["untag"]!["Status"]);
        Assert.Equal("""{"Tags":[{"Key":"owner","Value":"ana"},{"Key":"team","Value":"core"}]}""", result["listed"]!["Body"]!.ToJsonString());
        Assert.Equal("""[{"Key":"owner","Value":"ana"},{"Key":"team","Value":"core"}]""", result["viaStream"]!.ToJsonString());
        Assert.Equal("InvalidArgumentException", (string?)result["tooManyAtCreate"]!["Body"]!["__type"]);
        Assert.False((bool)result["createdAnyway"]!);
        Assert.Equal("ResourceNotFoundException", (string?)result["unknownArn"]!["Body"]!["__type"]);
        Assert.Equal("InvalidArgumentException", (string?)result["notAStreamArn"]!["Body"]!["__type"]);
        Assert.Equal("ValidationException", (string?)result["noTags"]!["Body"]!["__type"]);
        Assert.Equal("ValidationException", (string?)result["noKeys"]!["Body"]!["__type"]);
        Assert.Equal("ValidationException", (string?)result["longValue"]!["Code"]);
        Assert.Equal("ValidationException", (string?)result["badMode"]!["Code"]);
        Assert.Equal("ResourceNotFoundException", (string?)result["afterDelete"]!["Body"]!["__type"]);
    }
}
