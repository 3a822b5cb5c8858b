/**
 * The calls v4 01-08/13 (seed 000_*) define for ownership, as the root `on` entries of a
 * machine: driver binding and unbinding through iommu_device_set/release_dma_owner(), hot-plug,
 * and VFIO's claim, release, attach and detach of the group. v4-shared and attach-cnt (Lu's
 * 21 Dec refcounted iommu_attach_device() on top of v4) share them; each machine's `setup()`
 * defines the guards and actions they name, and adds its own iommu_attach/detach_device().
 */
/**
 * Hot-plug and driver unbinding as v4 01-02/13 define them: also lu-owner-param's (Lu's 23 Dec
 * idea keeps v4's driver-core half), whose bind_driver differs only in its -EBUSY guard.
 */
export const v4DeviceCalls = {
  probe_device: [
    { guard: 'probe:dma_owner == USER', actions: ['ret0', 'addToGroup'] },
    { actions: ['ret0', 'addToGroup', 'attachDefaultToDevice'] },
  ],
  release_device: { actions: ['ret0', 'removeFromGroup'] },
  // __device_release_driver() (02/13): iommu_device_release_dma_owner(dev, DMA_OWNER_DMA_API).
  unbind_driver: [
    { guard: 'unbind:!kernel', actions: ['ret0', 'unbind'] },
    { guard: 'release:!group', actions: ['ret0', 'unbind'] },
    { guard: 'release(DMA_API):WARN_ON(!owner_cnt || dma_owner != owner)', actions: ['ret0', 'unbind', 'WARN_ON'] },
    { guard: 'release:--owner_cnt > 0', actions: ['ret0', 'owner_cnt--', 'unbind'] },
    { actions: ['ret0', 'lastRelease', 'unbind'] },
  ],
} as const;

export const v4OwnershipCalls = {
  probe_device: v4DeviceCalls.probe_device,
  release_device: v4DeviceCalls.release_device,

  // really_probe() (02/13): iommu_device_set_dma_owner(dev, DMA_OWNER_DMA_API, NULL).
  bind_driver: [
    { guard: 'bind:suppress_auto_claim_dma_owner', actions: ['ret0', 'bindSuppressed'] },
    { guard: 'set:!group', actions: ['ret0', 'bindKernelUncounted'] },
    { guard: 'set(DMA_API):owner_cnt && (dma_owner != owner || cookie != NULL)', actions: ['retEBUSY'] },
    { actions: ['ret0', 'set(DMA_API)', 'bindKernelCounted'] },
  ],
  unbind_driver: v4DeviceCalls.unbind_driver,

  // vfio_group_set_container() (08/13): iommu_group_set_dma_owner(group, PRIVATE_DOMAIN_USER, f.file).
  claim: [
    { guard: 'set(USER):owner_cnt && (dma_owner != owner || cookie != file)', actions: ['retEBUSY'] },
    { guard: 'set(USER):domain && WARN_ON(domain != default_domain)', actions: ['ret0', 'set(USER)', 'userClaimed', 'WARN_ON'] },
    { guard: 'set(USER):domain', actions: ['ret0', 'set(USER)', 'detachGroup', 'userClaimed'] },
    { actions: ['ret0', 'set(USER)', 'userClaimed'] },
  ],
  // __vfio_group_unset_container() (08/13): iommu_group_release_dma_owner(group, PRIVATE_DOMAIN_USER).
  release: [
    { guard: 'release(USER):WARN_ON(!owner_cnt || dma_owner != owner)', actions: ['ret0', 'userReleased', 'WARN_ON'] },
    { guard: 'release:--owner_cnt > 0', actions: ['ret0', 'owner_cnt--', 'userReleased'] },
    { guard: 'release(USER):last && WARN_ON(domain)', actions: ['ret0', 'lastRelease', 'userReleased', 'WARN_ON'] },
    { actions: ['ret0', 'lastRelease', 'attachDefaultGroup', 'userReleased'] },
  ],
  // VFIO type1: iommu_attach_group() / iommu_detach_group() with 05/13's hunks.
  attach_group: [
    { guard: 'attach_group:domain && domain != default_domain', actions: ['retEBUSY'] },
    { actions: ['ret0', 'attachGroup', 'userAttached'] },
  ],
  detach_group: [
    { guard: 'detach_group:dma_owner == USER', actions: ['ret0', 'detachGroup', 'userDetached'] },
    { guard: 'detach_group:domain == default_domain', actions: ['ret0', 'userDetached'] },
    { actions: ['ret0', 'detachGroup', 'userDetached'] },
  ],
} as const;
