/**
 * EPICS Channel Access for bluesky-dispatcher: our own CA client and server (`ca/`),
 * ophyd-style devices on it (`devices/`), the device configuration file, and the test
 * IOC (`sim-ioc/`). The public entry point of the folder.
 * @module
 */
export { CaClient, type CaClientOptions } from './ca/client.js';
export { Channel, Subscription, type CaReading, type GetOptions, type MonitorOptions, type PutOptions } from './ca/channel.js';
export { CaServer, type CaServerOptions } from './ca/server.js';
export { CaRepeater } from './ca/repeater.js';
export { ServerPv, AlarmStatus, Severity, type PvMeta, type ServerPvOptions } from './ca/server-pv.js';
export { beaconDestinations, caSettings, parseAddrList, searchDestinations, type CaAddress, type CaSettings } from './ca/env.js';
export { BASE_TYPES, DBR, dbrType, FORMS, type BaseType, type CaLimits, type DbrData, type DbrForm } from './ca/dbr.js';
export { DBE_ALARM, DBE_LOG, DBE_PROPERTY, DBE_VALUE, DEFAULT_REPEATER_PORT, DEFAULT_SERVER_PORT } from './ca/proto.js';
export { buildSimPvs, simDetValue, startSimIoc, type SimIoc, type SimIocOptions } from './sim-ioc/ioc.js';
export { SimMotor, type SimMotorOptions } from './sim-ioc/motor.js';
export * from './errors.js';
export { EpicsSignal, EpicsSignalRO, type EpicsSignalOptions, type EpicsSignalROOptions } from './devices/signal.js';
export { EpicsMotor, type EpicsMotorOptions } from './devices/motor.js';
export { EpicsCounter, type EpicsCounterOptions } from './devices/counter.js';
export {
  createDevicesFromConfig, DEVICE_CLASSES, loadDeviceConfig, parseDeviceConfig, settingsFor, validateDeviceConfig,
  type CaConfig, type ConfiguredDevices, type CreateDevicesOptions, type DeviceConfig, type DeviceProblem, type DeviceSpec, type EpicsDevice,
} from './devices/config.js';
