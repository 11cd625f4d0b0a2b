export { DetectionLoss, type DetectionTargets, type LossGains, type DetectionLossOptions, type DetectionLossResult } from './detection';
export { taskAlignedAssign, type AssignerInput, type AssignerOptions, type AssignResult } from './assigner';
export { boxIou, ciouHost, ciouTf, bbox2dist } from './boxes';
