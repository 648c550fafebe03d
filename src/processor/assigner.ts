// Co-partitioned assignment: partition number p of every subscribed topic (events-p and traits-p) goes to
// the same member, since a user's messages live in partition p of both and are merged there. The default
// kafkajs assigners hand out topic-partitions independently and would split them.
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const CO_PARTITIONED = 'JourneysCoPartitioned';

export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITIONED,
  version: 1,
  assign({ members, topics }) {
    const memberIds = members.map((m) => m.memberId).sort();
    const counts = topics.map((t) => cluster.findTopicPartitionMetadata(t).length);
    const partitions = Math.min(...counts);
    const assignment = new Map<string, Record<string, number[]>>(memberIds.map((id) => [id, Object.fromEntries(topics.map((t) => [t, [] as number[]]))]));
    for (let p = 0; p < partitions; p++) {
      const member = assignment.get(memberIds[p % memberIds.length] as string);
      for (const t of topics) member?.[t]?.push(p);
    }
    return Promise.resolve(memberIds.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: assignment.get(memberId) ?? {}, userData: Buffer.alloc(0) }),
    })));
  },
  protocol({ topics }) {
    return { name: CO_PARTITIONED, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});
