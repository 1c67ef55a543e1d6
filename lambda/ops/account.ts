import { listProvisionedCapacity, purchaseProvisionedCapacity } from '../domain/capacity';
import { getDataRetrievalPolicy, setDataRetrievalPolicy } from '../domain/retrieval-policy';
import type { Operation } from './operation';

export const SetDataRetrievalPolicy: Operation<'SetDataRetrievalPolicy'> = async ({ svc, accountId, request }) => {
  await setDataRetrievalPolicy(svc, accountId, await request.body.read());
};

export const GetDataRetrievalPolicy: Operation<'GetDataRetrievalPolicy'> = async ({ svc, accountId }) => {
  const rule = await getDataRetrievalPolicy(svc, accountId);
  const shaped =
    rule.bytesPerHour === undefined ? { Strategy: rule.strategy } : { Strategy: rule.strategy, BytesPerHour: rule.bytesPerHour };
  return { json: { Policy: { Rules: [shaped] } } };
};

export const PurchaseProvisionedCapacity: Operation<'PurchaseProvisionedCapacity'> = async ({ svc, accountId }) => ({
  headers: { 'x-amz-capacity-id': await purchaseProvisionedCapacity(svc, accountId) },
});

export const ListProvisionedCapacity: Operation<'ListProvisionedCapacity'> = async ({ svc, accountId }) => {
  const units = await listProvisionedCapacity(svc, accountId);
  return {
    json: {
      ProvisionedCapacityList: units.map((unit) => ({
        CapacityId: unit.capacityId,
        StartDate: unit.startDate,
        ExpirationDate: unit.expirationDate,
      })),
    },
  };
};
