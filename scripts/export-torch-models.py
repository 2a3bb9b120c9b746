#!/usr/bin/env python3
"""Exports the architectures rx-rrm is verified on to ONNX with PyTorch's own exporter.

Every model is built with seeded random weights (torchvision's `weights=None`, `weights_backbone=None`:
nothing is downloaded), its BatchNorm statistics are calibrated on a few smooth random images (so that
the outputs really depend on the input instead of saturating), and it is exported at ONNX opsets 11, 13
and 17, plus one export with dynamic H and W. Files already in the cache are kept.

    python3 scripts/export-torch-models.py [--out .cache/torch-models] [--only name,name]

Needs python3-torch and python3-torchvision (Debian: apt-get install python3-torch python3-torchvision).
Writes `<name>-op<opset>.onnx` and `<name>-dynamic-op<opset>.onnx`, and `manifest.json` describing them.
"""
import argparse
import json
import os
import sys
import time
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from torchvision import models
from torchvision.models import detection, segmentation

OPSETS = (11, 13, 17)


# --- a YOLO-style detector (C2f, SPPF, Focus, nearest upsample, concat, decode heads) -------------

class ConvBnAct(nn.Module):
    """Conv, BatchNorm, SiLU: the unit every YOLO since v5 is made of."""

    def __init__(self, c_in, c_out, k=1, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1 = ConvBnAct(c, c, 3)
        self.cv2 = ConvBnAct(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """YOLOv8's block: a 1x1 conv split in two halves (chunk), bottlenecks on the second, all concatenated."""

    def __init__(self, c_in, c_out, n=1, shortcut=True):
        super().__init__()
        self.c = c_out // 2
        self.cv1 = ConvBnAct(c_in, 2 * self.c, 1)
        self.cv2 = ConvBnAct((2 + n) * self.c, c_out, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, c_in, c_out, k=5):
        super().__init__()
        hidden = c_in // 2
        self.cv1 = ConvBnAct(c_in, hidden, 1)
        self.cv2 = ConvBnAct(hidden * 4, c_out, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class Focus(nn.Module):
    """YOLOv5's early stem: space-to-depth by strided slicing, then a conv."""

    def __init__(self, c_in, c_out, k=3):
        super().__init__()
        self.conv = ConvBnAct(c_in * 4, c_out, k)

    def forward(self, x):
        return self.conv(torch.cat((x[..., ::2, ::2], x[..., 1::2, ::2], x[..., ::2, 1::2], x[..., 1::2, 1::2]), 1))


class YoloBackbone(nn.Module):
    """Focus stem, C2f stages, SPPF, and a PAN neck (nearest upsample x2 + concat): features at strides 8, 16, 32."""

    def __init__(self):
        super().__init__()
        self.stem = Focus(3, 16)
        self.down1 = ConvBnAct(16, 32, 3, 2)
        self.stage1 = C2f(32, 32)
        self.down2 = ConvBnAct(32, 48, 3, 2)
        self.stage2 = C2f(48, 48)
        self.down3 = ConvBnAct(48, 64, 3, 2)
        self.stage3 = C2f(64, 64)
        self.down4 = ConvBnAct(64, 96, 3, 2)
        self.stage4 = C2f(96, 96)
        self.sppf = SPPF(96, 96)
        self.up = nn.Upsample(scale_factor=2, mode='nearest')
        self.top_down4 = C2f(96 + 64, 64, shortcut=False)
        self.top_down3 = C2f(64 + 48, 48, shortcut=False)
        self.bottom_up4_down = ConvBnAct(48, 48, 3, 2)
        self.bottom_up4 = C2f(48 + 64, 64, shortcut=False)
        self.bottom_up5_down = ConvBnAct(64, 64, 3, 2)
        self.bottom_up5 = C2f(64 + 96, 96, shortcut=False)
        self.channels = (48, 64, 96)

    def forward(self, x):
        x = self.stage1(self.down1(self.stem(x)))
        p3 = self.stage2(self.down2(x))
        p4 = self.stage3(self.down3(p3))
        p5 = self.sppf(self.stage4(self.down4(p4)))
        n4 = self.top_down4(torch.cat((self.up(p5), p4), 1))
        n3 = self.top_down3(torch.cat((self.up(n4), p3), 1))
        m4 = self.bottom_up4(torch.cat((self.bottom_up4_down(n3), n4), 1))
        m5 = self.bottom_up5(torch.cat((self.bottom_up5_down(m4), p5), 1))
        return [n3, m4, m5]


class DFL(nn.Module):
    """Distribution focal loss decoding: the expectation of a softmax over reg_max bins, as a fixed 1x1 conv."""

    def __init__(self, bins=16):
        super().__init__()
        self.conv = nn.Conv2d(bins, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(bins, dtype=torch.float).view(1, bins, 1, 1)
        self.bins = bins

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.bins, a).transpose(2, 1).softmax(1)).view(b, 4, a)


def make_anchors(features, strides, offset=0.5):
    """Anchor points and strides computed from the feature maps' shapes, as YOLOv8 does at run time."""
    points, stride_list = [], []
    for x, stride in zip(features, strides):
        _, _, h, w = x.shape
        sx = torch.arange(end=w, dtype=x.dtype) + offset
        sy = torch.arange(end=h, dtype=x.dtype) + offset
        sy, sx = torch.meshgrid(sy, sx, indexing='ij')
        points.append(torch.stack((sx, sy), -1).view(-1, 2))
        stride_list.append(torch.full((h * w, 1), stride, dtype=x.dtype))
    return torch.cat(points).transpose(0, 1), torch.cat(stride_list).transpose(0, 1)


class AnchorFreeHead(nn.Module):
    """YOLOv8's decoupled head: box distances as reg_max bins (DFL) and class scores, decoded to [1, 4 + nc, N]."""

    def __init__(self, channels, classes=4, bins=16, raw=False):
        super().__init__()
        self.classes, self.bins, self.raw = classes, bins, raw
        self.outputs = classes + 4 * bins
        self.strides = (8, 16, 32)
        self.box = nn.ModuleList(nn.Sequential(ConvBnAct(c, 32, 3), ConvBnAct(32, 32, 3), nn.Conv2d(32, 4 * bins, 1)) for c in channels)
        self.cls = nn.ModuleList(nn.Sequential(ConvBnAct(c, 32, 3), ConvBnAct(32, 32, 3), nn.Conv2d(32, classes, 1)) for c in channels)
        self.dfl = DFL(bins)

    def forward(self, features):
        x = [torch.cat((self.box[i](f), self.cls[i](f)), 1) for i, f in enumerate(features)]
        shape = x[0].shape
        joined = torch.cat([xi.view(shape[0], self.outputs, -1) for xi in x], 2)
        if self.raw:
            return joined
        anchors, strides = make_anchors(x, self.strides)
        box, cls = joined.split((4 * self.bins, self.classes), 1)
        lt, rb = self.dfl(box).chunk(2, 1)
        x1y1 = anchors.unsqueeze(0) - lt
        x2y2 = anchors.unsqueeze(0) + rb
        boxes = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides
        return torch.cat((boxes, cls.sigmoid()), 1)


class AnchorBasedHead(nn.Module):
    """YOLOv5's head: per level and anchor (x, y, w, h, objectness, classes), decoded to [1, N, 5 + nc]."""

    ANCHORS = ((10, 13, 16, 30, 33, 23), (30, 61, 62, 45, 59, 119), (116, 90, 156, 198, 373, 326))

    def __init__(self, channels, classes=4):
        super().__init__()
        self.outputs = classes + 5
        self.anchors_per_cell = 3
        self.strides = (8, 16, 32)
        self.m = nn.ModuleList(nn.Conv2d(c, self.outputs * self.anchors_per_cell, 1) for c in channels)
        self.register_buffer('anchor_grid', torch.tensor(self.ANCHORS, dtype=torch.float).view(3, 1, 3, 1, 1, 2))

    def forward(self, features):
        z = []
        for i, f in enumerate(features):
            x = self.m[i](f)
            bs, _, ny, nx = x.shape
            x = x.view(bs, self.anchors_per_cell, self.outputs, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            yv, xv = torch.meshgrid(torch.arange(ny, dtype=x.dtype), torch.arange(nx, dtype=x.dtype), indexing='ij')
            grid = torch.stack((xv, yv), 2).view(1, 1, ny, nx, 2) - 0.5
            y = x.sigmoid()
            xy = (y[..., 0:2] * 2 + grid) * self.strides[i]
            wh = (y[..., 2:4] * 2) ** 2 * self.anchor_grid[i]
            z.append(torch.cat((xy, wh, y[..., 4:]), -1).view(bs, -1, self.outputs))
        return torch.cat(z, 1)


class Yolo(nn.Module):
    def __init__(self, head):
        super().__init__()
        self.backbone = YoloBackbone()
        self.head = head(self.backbone.channels)

    def forward(self, x):
        return self.head(self.backbone(x))


# --- wrappers that make every model return plain tensors -------------------------------------------

class Segmentation(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)['out']


class SsdBackboneAndHead(nn.Module):
    """SSDlite up to its post-processing: box regressions [1, N, 4] and class logits [1, N, classes]."""

    def __init__(self, model):
        super().__init__()
        self.backbone = model.backbone
        self.head = model.head

    def forward(self, x):
        features = list(self.backbone(x).values())
        out = self.head(features)
        return out['bbox_regression'], out['cls_logits']


def ssdlite():
    return SsdBackboneAndHead(detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91))


# name -> (builder, input size (H, W), output names)
MODELS = {
    'mobilenet_v2': (lambda: models.mobilenet_v2(weights=None), (96, 96), ['logits']),
    'mobilenet_v3_small': (lambda: models.mobilenet_v3_small(weights=None), (96, 96), ['logits']),
    'mobilenet_v3_large': (lambda: models.mobilenet_v3_large(weights=None), (96, 96), ['logits']),
    'resnet18': (lambda: models.resnet18(weights=None), (64, 64), ['logits']),
    'resnet50': (lambda: models.resnet50(weights=None), (64, 64), ['logits']),
    'shufflenet_v2_x0_5': (lambda: models.shufflenet_v2_x0_5(weights=None), (64, 64), ['logits']),
    'squeezenet1_1': (lambda: models.squeezenet1_1(weights=None), (64, 64), ['logits']),
    'efficientnet_b0': (lambda: models.efficientnet_b0(weights=None), (64, 64), ['logits']),
    'mnasnet0_5': (lambda: models.mnasnet0_5(weights=None), (64, 64), ['logits']),
    'regnet_y_400mf': (lambda: models.regnet_y_400mf(weights=None), (64, 64), ['logits']),
    'googlenet': (lambda: models.googlenet(weights=None, aux_logits=False, init_weights=True), (64, 64), ['logits']),
    'densenet121': (lambda: models.densenet121(weights=None), (64, 64), ['logits']),
    'lraspp_mobilenet_v3_large': (lambda: Segmentation(segmentation.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=4)), (96, 96), ['out']),
    'fcn_resnet50': (lambda: Segmentation(segmentation.fcn_resnet50(weights=None, weights_backbone=None, num_classes=4, aux_loss=False)), (32, 32), ['out']),
    'ssdlite320_mobilenet_v3_large': (ssdlite, (128, 128), ['bbox_regression', 'cls_logits']),
    'yolo_anchor_free': (lambda: Yolo(AnchorFreeHead), (128, 96), ['detections']),
    'yolo_anchor_free_raw': (lambda: Yolo(lambda c: AnchorFreeHead(c, raw=True)), (128, 96), ['raw']),
    'yolo_anchor_based': (lambda: Yolo(AnchorBasedHead), (128, 96), ['detections']),
}

# One export each with dynamic H and W (the size is chosen when the first frame arrives).
DYNAMIC = {'resnet18': 13, 'yolo_anchor_free': 17, 'lraspp_mobilenet_v3_large': 17}


def seed_of(name):
    """The raw variant of a detector gets the decoded one's weights: its output is the other's pre-decode tensor."""
    return zlib.crc32(name.removesuffix('_raw').encode()) & 0x7FFFFFFF


def smooth_images(count, height, width, generator):
    """Random images that vary smoothly (coarse noise upsampled), roughly the statistics of normalized photos."""
    coarse = torch.randn(count, 3, max(2, height // 8), max(2, width // 8), generator=generator)
    return F.interpolate(coarse, size=(height, width), mode='bilinear', align_corners=False)


def calibrate_batch_norm(model, images):
    """Sets every BatchNorm's running statistics to those of the batch `images`."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        model(images)  # one batch: 1x1 maps deep in a network need more than one value per channel
    model.eval()


def damp_residual_branches(model, factor=0.5):
    """Scales the last BatchNorm of every ResNet block's branch, as torchvision's `zero_init_residual` does
    (by 0.5, not 0, so that the branches still count). Random residual streams otherwise grow with depth
    and amplify float32 rounding: on fcn_resnet50 onnxruntime then differed from itself (graph
    optimizations on / off) by 4e-5 of the output, 20x less with the branches damped."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, models.resnet.Bottleneck):
                m.bn3.weight.mul_(factor)
            elif isinstance(m, models.resnet.BasicBlock):
                m.bn2.weight.mul_(factor)


def build(name):
    builder, (height, width), _ = MODELS[name]
    torch.manual_seed(seed_of(name))
    model = builder()
    generator = torch.Generator().manual_seed(seed_of(name) + 1)
    calibrate_batch_norm(model, smooth_images(4, height, width, generator))
    damp_residual_branches(model)
    return model


def export(model, name, opset, path, dynamic):
    _, (height, width), outputs = MODELS[name]
    example = smooth_images(1, height, width, torch.Generator().manual_seed(7))
    axes = {'input': {2: 'height', 3: 'width'}} if dynamic else None
    tmp = path + '.partial'
    with torch.no_grad():
        torch.onnx.export(model, example, tmp, opset_version=opset, input_names=['input'], output_names=outputs,
                          dynamic_axes=axes, do_constant_folding=True)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', '.cache', 'torch-models'))
    parser.add_argument('--only', default='', help='comma-separated model names (default: all)')
    args = parser.parse_args()
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    names = [n for n in args.only.split(',') if n] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f'unknown model(s): {", ".join(unknown)}; known: {", ".join(MODELS)}')
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    manifest_path = os.path.join(out, 'manifest.json')
    manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {}
    for name in names:
        _, (height, width), outputs = MODELS[name]
        jobs = [(opset, False, f'{name}-op{opset}.onnx') for opset in OPSETS]
        if name in DYNAMIC:
            jobs.append((DYNAMIC[name], True, f'{name}-dynamic-op{DYNAMIC[name]}.onnx'))
        model = None
        for opset, dynamic, file in jobs:
            path = os.path.join(out, file)
            manifest[file] = {'model': name, 'opset': opset, 'dynamic': dynamic, 'height': height, 'width': width, 'outputs': outputs}
            if os.path.exists(path):
                continue
            started = time.time()
            model = model or build(name)
            export(model, name, opset, path, dynamic)
            print(f'{file}: {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - started:.1f} s', flush=True)
    tmp = manifest_path + '.partial'
    with open(tmp, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(tmp, manifest_path)
    print(f'torch {torch.__version__}, torchvision {torchvision.__version__}: {len(manifest)} exports in {out}')


if __name__ == '__main__':
    main()
